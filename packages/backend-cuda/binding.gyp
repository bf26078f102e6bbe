{
  # The CUDA addon includes no CUDA header and links no CUDA library: the driver, NVRTC and
  # cuBLAS are dlopen()ed at run time (native/loader.cc), so it builds and loads on any Linux.
  "targets": [
    {
      "target_name": "symgrad_cuda",
      "sources": ["native/addon.cc", "native/loader.cc", "native/device.cc", "native/timing.cc", "native/lt_gemm.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-O2"],
      "cflags_cc": ["-O2", "-std=c++17", "-fPIC", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-ldl"],
    },
  ],
}
