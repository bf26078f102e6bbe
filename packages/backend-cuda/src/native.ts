import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The typed interface of the native addon (native/addon.cc). The addon includes no CUDA
 * header and links no CUDA library, so it loads on any Linux x86-64 machine; `probe`
 * dlopen()s the driver, NVRTC and cuBLAS and reports what it found. Everything else needs
 * `init` to have succeeded. Failures throw Errors naming the CUDA/NVRTC/cuBLAS call and the
 * kernel; `code` is 'ERR_CUDA_OUT_OF_MEMORY' for out-of-memory (the process survives it).
 */

export interface LibraryProbe {
  readonly found: boolean;
  readonly path?: string;
  readonly version?: string;
  readonly error?: string;
}

export interface ProbeResult {
  readonly driver: LibraryProbe;
  readonly nvrtc: LibraryProbe;
  readonly cublas: LibraryProbe;
  readonly cublasLt: LibraryProbe;
}

export interface NativeDeviceInfo {
  readonly name: string;
  readonly ccMajor: number;
  readonly ccMinor: number;
  readonly totalMem: number;
}

/** Where an op runs in a captured graph: its stream, and the earlier ops (indices) on other streams it waits for. */
export interface NativePlacement {
  readonly stream: number;
  readonly waits: readonly number[];
}

export interface NativeLaunch extends NativePlacement {
  readonly kind: 'launch';
  readonly what: string;
  readonly function: number;
  readonly grid: readonly [number, number, number];
  readonly block: readonly [number, number, number];
  readonly sharedBytes: number;
  readonly args: readonly bigint[];
}

/** A GEMM's fused cuBLASLt epilogue: 0 none, 1 relu, 2 bias, 3 relu(x + bias). */
export type NativeGemmEpilogue = 0 | 1 | 2 | 3;

export interface NativeGemm extends NativePlacement {
  readonly kind: 'gemm';
  readonly what: string;
  readonly f64: boolean;
  readonly tf32: boolean;
  /** Through cuBLASLt (algorithm timed on the device, epilogue fused) rather than cuBLAS. */
  readonly lt: boolean;
  readonly epilogue: NativeGemmEpilogue;
  /** The bias vector's address (0n without one) and its stride between batch matrices, in elements. */
  readonly bias: bigint;
  readonly biasBatchStride: number;
  readonly opA: number;
  readonly opB: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly lda: number;
  readonly ldb: number;
  readonly ldc: number;
  readonly batch: number;
  readonly alpha: number;
  readonly beta: number;
  readonly A: bigint;
  readonly B: bigint;
  readonly C: bigint;
  readonly strideA: number;
  readonly strideB: number;
  readonly strideC: number;
}

export type NativeOp = NativeLaunch | NativeGemm;

/** What `timeOps` measured: each op's milliseconds, and whether they came from one graph launch. */
export interface NativeTimedOps {
  readonly times: number[];
  /** true: event record nodes in one captured graph; false: the direct path, uncaptured ops between event records. */
  readonly graph: boolean;
  /** Why the graph path was not used (with `graph` false). */
  readonly fallback?: string;
}

export interface CudaAddon {
  /** dlopen()s the libraries (once; later calls return the first result). "" in `dirs` is the loader path. */
  probe(dirs: readonly string[]): ProbeResult;
  init(ordinal: number): NativeDeviceInfo;
  /** NVRTC straight to a cubin for `arch` ('sm_90'); throws with NVRTC's log. */
  compile(source: string, name: string, arch: string): Buffer;
  loadModule(cubin: Uint8Array, kernels: readonly string[]): { module: number; functions: number[] };
  unloadModule(module: number): void;
  /** Stream-ordered allocation from the device's memory pool. */
  alloc(bytes: number): bigint;
  free(ptr: bigint): void;
  /** Pinned, asynchronous host→device copy (the data is staged before this returns). */
  upload(ptr: bigint, data: ArrayBufferView): void;
  download(ptr: bigint, bytes: number): Promise<ArrayBuffer>;
  downloadSync(ptr: bigint, bytes: number): ArrayBuffer;
  /**
   * Captures the ops once as a CUDA graph; returns its id. Ops on streams other than 0 fork
   * from stream 0 and join it again, so the graph gets parallel branches. cuBLASLt GEMMs
   * (`lt`) first time the library's candidate algorithms for their shape on the device (once
   * per shape, layout and alignment in a process; `SYMGRAD_CUDA_GEMM_LOG=1` prints the times).
   */
  createGraph(ops: readonly NativeOp[]): number;
  /**
   * Runs the ops once, one after another on stream 0 (placements ignored), after the work
   * already enqueued, and waits for them: each op's milliseconds between timing events
   * recorded around it. The ops and events are captured as one graph and launched once (no
   * host gaps between ops); where the driver lacks cuEventRecordWithFlags or a call before the
   * launch fails, they run uncaptured instead (`graph: false`, `fallback` says why). cuBLASLt
   * GEMMs are tuned first, outside the times.
   */
  timeOps(ops: readonly NativeOp[]): NativeTimedOps;
  launchGraph(graph: number): void;
  destroyGraph(graph: number): void;
  synchronize(): void;
  memInfo(): { free: number; total: number };
}

export interface AddonLoad {
  readonly addon?: CudaAddon;
  /** The file that was loaded, or why none was. */
  readonly path?: string;
  readonly error?: string;
}

/** The package root (from src/ or dist/). */
export function packageRoot(): string {
  return dirname(dirname(fileURLToPath(import.meta.url)));
}

let loaded: AddonLoad | undefined;

/**
 * Loads the addon once; never throws. `SYMGRAD_CUDA_ADDON` names a .node file to use
 * instead (bundles ship it beside the bundle); otherwise node-gyp-build finds
 * prebuilds/ or build/Release under the package.
 */
export function loadAddon(): AddonLoad {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  try {
    const explicit = process.env.SYMGRAD_CUDA_ADDON;
    if (explicit) {
      loaded = { addon: require(explicit) as CudaAddon, path: explicit };
    } else {
      const root = packageRoot();
      const direct = join(root, 'build', 'Release', 'symgrad_cuda.node');
      if (existsSync(direct)) {
        loaded = { addon: require(direct) as CudaAddon, path: direct };
      } else {
        const gypBuild = require('node-gyp-build') as { (dir: string): unknown; resolve(dir: string): string };
        const path = gypBuild.resolve(root);
        loaded = { addon: require(path) as CudaAddon, path };
      }
    }
    // node-gyp-build takes any .node file in build/Release or prebuilds/: make sure it is this one.
    if (loaded.addon && typeof loaded.addon.probe !== 'function') {
      loaded = { error: `the CUDA addon did not load (${loaded.path} is not the CUDA addon: it has no probe()); build it with \`pnpm --filter @symgrad/backend-cuda build\`` };
    }
  } catch (e) {
    loaded = { error: `the CUDA addon did not load (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); build it with \`pnpm --filter @symgrad/backend-cuda build\`` };
  }
  return loaded;
}
