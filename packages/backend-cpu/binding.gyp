{
  # The native CPU kernels. The baseline is x86-64-v2; each micro-kernel tier is a separate
  # static library compiled with its own -m flags and chosen at run time by CPU features
  # (native/gemm.cc), so one binary runs on every x86-64 machine of the kind.
  "variables": {
    "base_cflags": ["-O3", "-std=c++17", "-fPIC", "-fno-math-errno"],
  },
  "targets": [
    {
      "target_name": "symgrad_cpu",
      "sources": ["native/addon.cc", "native/gemm.cc", "native/thread_pool.cc", "native/kernels_generic.cc",
                  "native/elementwise.cc", "native/reduce.cc", "native/specials.cc", "native/random.cc", "native/vmath.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions", "-O2", "-O3"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-O2"],
      "cflags_cc": ["<@(base_cflags)", "-fexceptions"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["target_arch=='x64'", {
          "cflags_cc": ["-march=x86-64-v2"],
          "dependencies": ["symgrad_avx2", "symgrad_avx512"],
          # glibc's vector math library (the AVX2/AVX-512 exp and log of native/vmath_*.cc, the log, sin
          # and cos of native/random_*.cc; tanh, log1p
          # and expm1 are looked up with dlsym, as older glibc lacks them).
          "libraries": ["-lmvec", "-ldl"],
        }],
      ],
    },
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "symgrad_avx2",
          "type": "static_library",
          "sources": ["native/kernels_avx2.cc", "native/vmath_avx2.cc", "native/random_avx2.cc"],
          "cflags_cc!": ["-std=gnu++17", "-O2"],
          "cflags_cc": ["<@(base_cflags)", "-march=x86-64-v2", "-mavx2", "-mfma"],
        },
        {
          "target_name": "symgrad_avx512",
          "type": "static_library",
          "sources": ["native/kernels_avx512.cc", "native/vmath_avx512.cc", "native/random_avx512.cc"],
          "cflags_cc!": ["-std=gnu++17", "-O2"],
          "cflags_cc": ["<@(base_cflags)", "-march=x86-64-v2", "-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl"],
        },
      ],
    }],
  ],
}
