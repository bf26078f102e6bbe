#!/usr/bin/env bash
# Copied to .device/run.sh by bundle-device.mjs: the GPU checks and benchmark in one device
# call, logs under $OUT. Run from the repository root. DEADLINE (seconds, default 540) bounds
# the whole run: each part's limit shrinks to the time left and a part with under 20 s left is
# skipped, so the parts run by priority (checks, cuda, webgpu, peers, then the optional ones).
set -u
export OUT=${OUT:-/tmp/device-out}; mkdir -p "$OUT"
T0=$(date +%s); DEADLINE=${DEADLINE:-540}
left() { echo $(( DEADLINE - ($(date +%s) - T0) )); }
R=$(pwd)
xz -dc .device/node.xz > /tmp/node && chmod +x /tmp/node
W=.device/bench/node_modules/webgpu/dist/linux-x64
xz -dc $W/dawn.node.xz > $W/dawn.node
# Vulkan for Dawn: the loader and glvnd (the NVIDIA ICD's libGLX_nvidia needs libGLdispatch).
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$ICD" ] && export VK_DRIVER_FILES=$ICD
{ echo "== vulkan"; ldconfig -p | grep -i -E "vulkan|GLX_nvidia|GLdispatch"; cat "$ICD"; } >> "$OUT/run.log" 2>&1
export SYMGRAD_CUDA_ADDON=$R/.device/cuda/symgrad_cuda.node SYMGRAD_CACHE_DIR=/tmp/symgrad-cache
B="/tmp/node .device/bench/device-bench.mjs"
part() { local name=$1 limit=$2; shift 2; local t0=$(date +%s) l; l=$(left)
  [ "$l" -lt 20 ] && { echo "== $name: skipped, $l s left" | tee -a "$OUT/run.log"; return; }
  [ "$limit" -gt "$l" ] && limit=$l
  echo "== $name (limit $limit s)" | tee -a "$OUT/run.log"
  timeout -k 5 "$limit" "$@" 2>>"$OUT/run.log" | tee -a "$OUT/gpu-bench.jsonl"
  echo "== $name: exit ${PIPESTATUS[0]}, $(( $(date +%s) - t0 )) s" | tee -a "$OUT/run.log"; }
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv > "$OUT/nvidia-smi.txt" 2>&1
# The CUDA backend's other settings (two streams, the default before four; one stream; plain
# cuBLAS GEMMs on one stream; the defaults are cuBLASLt and up to four streams): CUDA_VARIANTS
# lists env settings (',' between variables) run as a check (the last, which has them all)
# and as benchmark parts; CUDA_VARIANTS= skips them.
CUDA_VARIANTS=${CUDA_VARIANTS-"SYMGRAD_CUDA_STREAMS=2 SYMGRAD_CUDA_STREAMS=1 SYMGRAD_CUDA_GEMM=cublas,SYMGRAD_CUDA_STREAMS=1"}
read -ra variants <<< "$CUDA_VARIANTS"
# The device check under the defaults and, at the same time, under the last variant (their
# µs/step and profile lines then share the GPU; the benchmark parts below run alone).
if [ -z "${SKIP_CHECK:-}" ]; then
  t=$(date +%s)
  echo "== cuda check (limit ${CUDA_CHECK_S:-150} s)"
  timeout -k 5 ${CUDA_CHECK_S:-150} /tmp/node .device/cuda/check.mjs > "$OUT/cuda-check.txt" 2>&1 &
  p1=$!
  if [ ${#variants[@]} -gt 0 ]; then
    all=${variants[-1]//,/ }
    echo "== cuda check, $all (limit ${CUDA_CHECK_S:-150} s)"
    mkdir -p "$OUT/variant"
    timeout -k 5 ${CUDA_CHECK_S:-150} env $all SYMGRAD_CUDA_GEMM_LOG=1 OUT="$OUT/variant" /tmp/node .device/cuda/check.mjs > "$OUT/cuda-check-variant.txt" 2>&1 &
    p2=$!
    wait $p2; echo "== cuda check, $all: exit $?"
    grep -v "^\[symgrad cuda\]" "$OUT/cuda-check-variant.txt" | tail -n 8
  fi
  wait $p1; echo "== cuda check: exit $?, both checks $(( $(date +%s) - t )) s"; tail -n 30 "$OUT/cuda-check.txt"
fi
# DEMO="--precision fp32;--precision tf32 --backend cuda": the demo (`symgrad`) once per ';'-separated argument list.
if [ -n "${DEMO:-}" ]; then
  IFS=';' read -ra runs <<< "$DEMO"
  for args in "${runs[@]}"; do
    echo "== demo $args" | tee -a "$OUT/demo.txt"
    timeout -k 5 180 /tmp/node .device/bench/demo.mjs $args 2>&1 | grep -v '%|' | tee -a "$OUT/demo.txt"
  done
fi
# SKIP_BENCH skips every benchmark part below; SKIP_CUDA and SKIP_WEBGPU one backend's.
if [ -z "${SKIP_BENCH:-}${SKIP_CUDA:-}" ]; then
  part cuda 60 $B --part cuda --reps ${REPS:-1000}
  for v in "${variants[@]}"; do part "cuda, ${v//,/ }" 60 env ${v//,/ } SYMGRAD_CUDA_GEMM_LOG=1 $B --part cuda --reps ${REPS:-1000}; done
fi
if [ -z "${SKIP_BENCH:-}${SKIP_WEBGPU:-}" ]; then
  # Core's conformance cases (float32) on the webgpu backend, on this GPU.
  [ -z "${SKIP_CHECK:-}" ] && part webgpu-check 90 $B --part check --backend webgpu
  # WEBGPU_RUNS=n: the webgpu part in n processes one after another (their spread is the noise).
  for _ in $(seq "${WEBGPU_RUNS:-1}"); do VK_LOADER_DEBUG=error part webgpu 60 $B --part webgpu --reps 300; done
  # The webgpu rows again with every matmul shape's config timed on this GPU first (the
  # tuning's timings of every candidate config in the 'matmul tuning' row).
  # TUNED_ARGS=--seed-only: the tuning times the seed step's and the GEMM rows' shapes alone.
  part webgpu-tuned 240 $B --part webgpu-tuned --reps 300 ${TUNED_ARGS:-}
  part tfjs-webgpu 60 $B --part tfjs-webgpu --reps 50
  # What the adapter offers beyond what the backend uses (experimental features, subgroup
  # matrix configurations): a few seconds.
  part webgpu-adapter 30 $B --part webgpu-adapter
fi
[ -z "${SKIP_PEERS:-}" ] && part torch-jax 120 env PYTHONUNBUFFERED=1 python3 .device/bench/torch_jax_seed.py ${REPS:-1000}
# DAWN_FEATURES (default disable_robustness: no index clamps from Tint, the kernels check their
# own bounds): the tuned webgpu rows again with these Dawn features, each candidate's device
# time beside the run above; DAWN_FEATURES= skips it.
DAWN_FEATURES=${DAWN_FEATURES-disable_robustness}
if [ -z "${SKIP_BENCH:-}${SKIP_WEBGPU:-}" ] && [ -n "$DAWN_FEATURES" ]; then
  part "webgpu-tuned, $DAWN_FEATURES" 180 $B --part webgpu-tuned --reps 300 --dawn-features "$DAWN_FEATURES"
fi
if [ -n "${CPU:-}" ]; then
  part cpu 120 $B --part cpu --reps 30
  part torch-cpu 120 env PYTHONUNBUFFERED=1 python3 .device/bench/torch_jax_seed.py 30 cpu
fi
[ -n "${CUDA_PEDANTIC:-}" ] && part "cuda, SYMGRAD_CUDA_PEDANTIC=1" 60 env SYMGRAD_CUDA_PEDANTIC=1 $B --part cuda --reps ${REPS:-1000}
# MATMUL_CONFIGS="128,64,16,8,4,unroll,vec4,prefetch …": WebGPU matmul configs to sweep
# (SYMGRAD_WEBGPU_MATMUL, one process each, GEMM rows only: one config for every product of a
# step is not what the per-shape default would run). None by default: webgpu-tuned times every candidate.
for cfg in ${MATMUL_CONFIGS:-}; do part "webgpu $cfg" 30 env SYMGRAD_WEBGPU_MATMUL=$cfg $B --part webgpu-gemm --reps 200; done
echo "== done, $(( $(date +%s) - T0 )) s"
