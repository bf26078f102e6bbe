import type { MatmulKernel } from '@symgrad/core';
import type { CodegenLimits } from './kernel.js';

/**
 * The shape of one tiled matmul kernel: each workgroup computes a tileM×tileN output tile,
 * stepping through K tileK at a time, and each invocation accumulates threadM×threadN
 * results; (tileM/threadM)·(tileN/threadN) invocations per workgroup.
 */
export interface MatmulConfig {
  readonly tileM: number;
  readonly tileN: number;
  readonly tileK: number;
  readonly threadM: number;
  readonly threadN: number;
  /** Emit the loop over a K tile (p = 0…tileK−1) as straight-line code (default false). */
  readonly unrollK?: boolean;
  /**
   * Unroll the loop over a K tile this many p steps at a time (2 to tileK/2, dividing tileK;
   * not with unrollK): a loop body of a few KiB where the whole K tile unrolled (unrollK) is
   * tens of KiB of machine code, for GPUs whose instruction caches hold less than that (on an
   * H100 the whole tile unrolled was faster) (default: none).
   */
  readonly unrollBy?: number;
  /**
   * Load an operand's global tile with vec4<f32> reads (the binding declared
   * array<vec4<f32>>) where that is exact and aligned: the stored matrix's contiguous dim is
   * the one loaded along, and its extent, the view offset and the other strides are multiples
   * of 4. Other operands (and shapes) keep scalar loads (default false).
   */
  readonly vec4Loads?: boolean;
  /**
   * Stage the operand tiles through registers: the next K tile's loads are issued before the
   * current tile's FMAs, which hide their latency, and written to workgroup memory after the
   * barrier (default false).
   */
  readonly prefetch?: boolean;
  /**
   * Two workgroup tiles per operand (twice the workgroup memory), staged through registers as
   * with `prefetch`: the FMAs read one while the next K tile is written to the other, so each K
   * step needs one barrier instead of two (default false).
   */
  readonly doubleBuffer?: boolean;
  /**
   * Split K this many ways (2…64): more workgroups for products whose output has too few tiles
   * to fill the GPU (the seed step's 800×1000 has 112 of 128×64 for 132 SMs on an H100). Each
   * workgroup sums a span of K into scratch memory; a second launch adds the partial products
   * and applies alpha, beta and the epilogue. Fewer splits where K has fewer tiles or the
   * scratch would exceed 128 MiB (default: none).
   */
  readonly splitK?: number;
  /**
   * Where an operand's tile is loaded K-fastest (A not transposed, B transposed), pad each K
   * row of its workgroup tile by one vec4 instead of XOR-swizzling it: the same 2-way store
   * conflicts, and reads with constant offsets (no XOR, and no clamp from Dawn's robustness
   * transform, which can prove them in range). Costs 16 bytes of workgroup memory per K row
   * and operand (default false).
   */
  readonly padTiles?: boolean;
  /**
   * Split each K tile range this many ways (2…8) inside the workgroup: `slices` groups of
   * (tileM/threadM)·(tileN/threadN) invocations, each with its own operand tiles, take every
   * `slices`-th K tile, and at the end the other groups hand their sums to the first through
   * workgroup memory, added in group order. More warps per SM without split K's scratch
   * memory and second launch, where an output has about one tile per SM (default: none).
   */
  readonly slices?: number;
}

/** The flags SYMGRAD_WEBGPU_MATMUL accepts after the five numbers, and the fields they set (besides `unroll<N>`, unrollBy, `split<N>`, splitK, and `slice<N>`, slices). */
export const MATMUL_FLAGS = Object.freeze({ unroll: 'unrollK', vec4: 'vec4Loads', prefetch: 'prefetch', double: 'doubleBuffer', pad: 'padTiles' } as const);
type MatmulFlag = keyof typeof MATMUL_FLAGS;

/** Picks the config for one matmul kernel (batch: the number of matrices; `kernel` the kernel itself, for choosers that tell layouts apart). */
export type MatmulConfigChooser = (m: number, n: number, k: number, batch: number, kernel?: MatmulKernel) => MatmulConfig;

/** The config used unless a chooser or SYMGRAD_WEBGPU_MATMUL says otherwise. */
export const DEFAULT_MATMUL_CONFIG: MatmulConfig = Object.freeze({ tileM: 64, tileN: 64, tileK: 16, threadM: 4, threadN: 4 });

/** The config for large products: 128×64 tiles, 8×4 per invocation, K tile unrolled, vec4 loads, register-staged (prefetch). */
export const LARGE_MATMUL_CONFIG: MatmulConfig = Object.freeze({ tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 4, unrollK: true, vec4Loads: true, prefetch: true });

/** The config for products with many large tiles: 128×128 tiles, 8×8 per invocation, K tile unrolled, vec4 loads, prefetch. */
export const HUGE_MATMUL_CONFIG: MatmulConfig = Object.freeze({ tileM: 128, tileN: 128, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true });

/**
 * HUGE_MATMUL_CONFIG with its tiles' K rows padded (no bank conflicts on the transposed
 * reads): 16,896 bytes of workgroup memory, more than WebGPU's guaranteed 16 KiB.
 */
export const HUGE_PADDED_MATMUL_CONFIG: MatmulConfig = Object.freeze({ ...HUGE_MATMUL_CONFIG, padTiles: true });

/**
 * HUGE_PADDED_MATMUL_CONFIG with K split in two, for products with about one 128×128 tile per
 * SM of a big GPU (the seed's 800×1000 and 1000×1000: 112 and 128 workgroups), here for Bᵀ:
 * 16,896 bytes of workgroup memory.
 */
export const SPLIT_HUGE_MATMUL_CONFIG: MatmulConfig = Object.freeze({ ...HUGE_PADDED_MATMUL_CONFIG, splitK: 2 });

/** SPLIT_HUGE_MATMUL_CONFIG with K tiles of 32 (half the barriers), for A·B and Aᵀ·B: 33,792 bytes of workgroup memory. */
export const SPLIT_HUGE_K32_MATMUL_CONFIG: MatmulConfig = Object.freeze({ ...SPLIT_HUGE_MATMUL_CONFIG, tileK: 32 });

/** The default config with K split `splits` ways (2…8), one frozen object per count. */
const SPLIT_DEFAULTS: readonly MatmulConfig[] = Object.freeze([2, 3, 4, 5, 6, 7, 8].map((splitK) => Object.freeze({ ...DEFAULT_MATMUL_CONFIG, splitK })));

/**
 * The config a matmul gets unless a chooser or SYMGRAD_WEBGPU_MATMUL decides (measurements:
 * docs/GPU-BENCHMARKS.md, device timestamps of each candidate in `matmulTuning`):
 * - 128×128 tiles with prefetch where the output has at least 192 of them and K ≥ 256, their
 *   rows padded where the device has the workgroup memory (`limits`): on an H100, 2048³ in
 *   455–457 µs padded against 515–535 unpadded, 540 for 128×64 and 720 for 64×64 (run 13's
 *   tunings); as the default, four 2048³ products per call at 475–491 µs each against 528
 *   unpadded (runs 14 and 13);
 * - else padded 128×128 tiles with K split in two where that makes 96 to 256 workgroups, K ≥
 *   512 and the device has the workgroup memory (16,896 bytes; A·B and Aᵀ·B take K tiles of
 *   32 where it has 33,792): on an H100 the seed's 800×1000×1000, its Bᵀ form and 1000×1000×800
 *   took 75, 70 and 60 µs alone against 92, 81 and 65 for 128×64 tiles (two tunings, runs 17
 *   and 18), and the seed step 440 and 452 µs against 471 with the configs these tunings chose;
 * - else 128×64 tiles with prefetch where there are enough of them to occupy a big GPU (≥ 96
 *   workgroups) and K ≥ 256: on an H100 the seed step's three 800×1000-sized products took
 *   91, 80 and 64 µs (A·B, A·Bᵀ, Aᵀ·B) against 89, 97 and 70 without prefetch and 90–104 with
 *   64×64 tiles; on the seed step's 10-column products its 7 workgroups made the step slower
 *   (636 vs 579 µs on an H200), hence the threshold;
 * - 64×64 tiles with K split where the output has fewer than 32 of them and K has at least 16
 *   tiles (the seed step's 800×10×1000 and 1000×10×800 products: 13 and 16 workgroups, each
 *   looping over all of K): enough splits for about 128 workgroups, at most 8, each at least 4
 *   K tiles long. On an H100, 800×10×1000 in 12.8 µs split 8 ways against 61 unsplit, and
 *   1000×10×800 in 11.1 against 43: the fastest of the 20 candidates on both;
 * - else the 64×64 default.
 *
 * @example
 * ```ts
 * defaultMatmulConfigFor(800, 1000, 1000, 1);                 // LARGE_MATMUL_CONFIG
 * defaultMatmulConfigFor(800, 1000, 1000, 1, device.limits);  // SPLIT_HUGE_K32_MATMUL_CONFIG where the device has 33,792 bytes of workgroup memory
 * defaultMatmulConfigFor(800, 1000, 1000, 1, device.limits, { transB: true }); // SPLIT_HUGE_MATMUL_CONFIG
 * defaultMatmulConfigFor(2048, 2048, 2048, 1, device.limits); // HUGE_PADDED_MATMUL_CONFIG where the device has 16,896 bytes of workgroup memory
 * defaultMatmulConfigFor(800, 10, 1000, 1);                   // DEFAULT_MATMUL_CONFIG with splitK 8
 * defaultMatmulConfigFor(800, 1000, 10, 1);                   // DEFAULT_MATMUL_CONFIG
 * ```
 */
export function defaultMatmulConfigFor(
  m: number, n: number, k: number, batch: number,
  limits?: Pick<CodegenLimits, 'maxComputeWorkgroupStorageSize'>, layout?: { readonly transB?: boolean },
): MatmulConfig {
  const L = LARGE_MATMUL_CONFIG;
  const D = DEFAULT_MATMUL_CONFIG;
  const b = Math.max(1, batch);
  const H = HUGE_MATMUL_CONFIG;
  const fits = (c: MatmulConfig) => limits !== undefined && matmulWorkgroupBytes(c) <= limits.maxComputeWorkgroupStorageSize;
  const padded = fits(HUGE_PADDED_MATMUL_CONFIG);
  const hugeTiles = Math.ceil(m / H.tileM) * Math.ceil(n / H.tileN) * b;
  if (hugeTiles >= 192 && k >= 256) return padded ? HUGE_PADDED_MATMUL_CONFIG : H;
  if (padded && hugeTiles >= 48 && hugeTiles <= 128 && k >= 512) {
    return !layout?.transB && fits(SPLIT_HUGE_K32_MATMUL_CONFIG) ? SPLIT_HUGE_K32_MATMUL_CONFIG : SPLIT_HUGE_MATMUL_CONFIG;
  }
  if (Math.ceil(m / L.tileM) * Math.ceil(n / L.tileN) * b >= 96 && k >= 256) return L;
  const tiles = Math.ceil(m / D.tileM) * Math.ceil(n / D.tileN) * b;
  const kTiles = Math.ceil(k / D.tileK);
  if (tiles < 32 && kTiles >= 16) {
    const splits = Math.min(8, Math.floor(kTiles / 4), Math.ceil(128 / tiles));
    if (splits >= 2) return SPLIT_DEFAULTS[splits - 2]!;
  }
  return D;
}

/**
 * Configs worth sweeping on a real GPU. The tuner skips those a device cannot run: the padded
 * 128×128 ones need more than WebGPU's default 16 KiB of workgroup memory, sixteen of them
 * more than 256 invocations or 32 KiB (SwiftShader offers 256 and 32 KiB, an H100 through Dawn
 * 1,024 and 48 KiB). The tuner checks every candidate's product before timing it, so those no
 * CI device runs are checked on the GPU that tunes them.
 */
export const matmulConfigCandidates: readonly MatmulConfig[] = Object.freeze([
  DEFAULT_MATMUL_CONFIG,
  { tileM: 64, tileN: 64, tileK: 16, threadM: 8, threadN: 8 },
  { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 4 },
  { tileM: 64, tileN: 128, tileK: 16, threadM: 4, threadN: 8 },
  { tileM: 128, tileN: 128, tileK: 8, threadM: 8, threadN: 8 },
  { tileM: 128, tileN: 128, tileK: 16, threadM: 8, threadN: 8 },
  { tileM: 64, tileN: 64, tileK: 16, threadM: 4, threadN: 4, unrollK: true },
  { tileM: 64, tileN: 64, tileK: 16, threadM: 4, threadN: 4, unrollK: true, vec4Loads: true },
  { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 4, unrollK: true, vec4Loads: true },
  { tileM: 64, tileN: 64, tileK: 8, threadM: 4, threadN: 4, unrollK: true, vec4Loads: true },
  { tileM: 64, tileN: 64, tileK: 16, threadM: 4, threadN: 4, unrollK: true, vec4Loads: true, prefetch: true },
  { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 4, unrollK: true, vec4Loads: true, prefetch: true },
  { tileM: 128, tileN: 128, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true },
  { tileM: 64, tileN: 64, tileK: 16, threadM: 4, threadN: 4, unrollK: true, vec4Loads: true, doubleBuffer: true },
  { tileM: 128, tileN: 64, tileK: 8, threadM: 8, threadN: 4, unrollK: true, vec4Loads: true, doubleBuffer: true },
  { tileM: 128, tileN: 128, tileK: 8, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, doubleBuffer: true },
  { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 4, unrollK: true, vec4Loads: true, splitK: 2 },
  { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 4, unrollK: true, vec4Loads: true, prefetch: true, splitK: 2 },
  { tileM: 128, tileN: 128, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, splitK: 4 },
  // 8×8 results per invocation (16 FMAs per workgroup-memory read instead of 10.7 with 8×4)
  // on 128×64 tiles (128 invocations), whole or with K split for more warps per SM; and
  // 128×128 split in two, one workgroup per SM on the seed's 800×1000 products.
  { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true },
  { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, splitK: 2 },
  { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, splitK: 4 },
  { tileM: 128, tileN: 128, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, splitK: 2 },
  // Padded instead of swizzled K-fastest tiles: the large defaults and two 8×8 forms again.
  { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 4, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true },
  { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2 },
  { tileM: 128, tileN: 128, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true },
  { tileM: 128, tileN: 128, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2 },
  // Padded tiles combined with what helped the seed's 800×1000 products elsewhere (run 13: the
  // padded forms were 4–12% faster, and split K 4–10%): 8×4 split in two, 64×64 split in two
  // (416 workgroups), 128×128 split three ways, and double buffering (one barrier per K step).
  { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 4, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2 },
  { tileM: 64, tileN: 64, tileK: 16, threadM: 4, threadN: 4, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2 },
  { tileM: 128, tileN: 128, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 3 },
  { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, doubleBuffer: true, padTiles: true, splitK: 2 },
  // A K tile of 32: half the barriers per K (25,600 bytes with padded rows).
  { tileM: 128, tileN: 64, tileK: 32, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2 },
  { tileM: 128, tileN: 64, tileK: 32, threadM: 8, threadN: 4, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true },
  // Beyond SwiftShader: 33,792 bytes (128×128, double-buffered or a K tile of 32) and 512 or
  // 1,024 invocations, so that one workgroup per SM keeps 16 or 32 warps busy where the seed's
  // products have about one tile per SM (112 of 128×64 for 132 SMs on an H100).
  { tileM: 128, tileN: 128, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, doubleBuffer: true, padTiles: true, splitK: 2 },
  { tileM: 128, tileN: 128, tileK: 32, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2 },
  { tileM: 128, tileN: 64, tileK: 16, threadM: 4, threadN: 4, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true },
  { tileM: 128, tileN: 64, tileK: 16, threadM: 4, threadN: 4, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2 },
  { tileM: 128, tileN: 128, tileK: 16, threadM: 8, threadN: 4, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2 },
  { tileM: 128, tileN: 128, tileK: 16, threadM: 4, threadN: 4, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2 },
  // Tiles that divide the seed's 800 rows (128-row tiles compute 896, 12% of them wasted) and
  // with their K splits fill about 128 of an H100's 132 SMs instead of 112: 200×64 split in two
  // and 200×128 in four (128 workgroups for 800×1000), 100×128 (4×8 per invocation) in two,
  // 160×128 in three (120), and for the 1000×1000 dW products 200×128 or 128×200 split in three
  // (120). On an H100 none beat the padded 128×128 tiles split in two (run 18: 77–113 µs
  // against 60–75); they stay for GPUs with other SM counts.
  { tileM: 200, tileN: 64, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2 },
  { tileM: 100, tileN: 128, tileK: 16, threadM: 4, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2 },
  { tileM: 200, tileN: 64, tileK: 32, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2 },
  { tileM: 200, tileN: 128, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 4 },
  { tileM: 200, tileN: 128, tileK: 32, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 4 },
  { tileM: 160, tileN: 128, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 3 },
  { tileM: 200, tileN: 128, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 3 },
  { tileM: 200, tileN: 128, tileK: 32, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 3 },
  { tileM: 128, tileN: 200, tileK: 16, threadM: 8, threadN: 8, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 3 },
  // K slices: 16 warps per SM on the seed's products (a workgroup of 16 warps, one per SM),
  // with neither scratch memory nor a second launch. Six were timed on an H100 (run 20); the
  // closest, kept here, took 79, 81 and 61 µs on the seed's A·B, A·Bᵀ and Aᵀ·B against 75, 70
  // and 60 for the defaults, the others 70–103.
  { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 4, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, slices: 2 },
  // K tiles unrolled 4 or 8 steps at a time, for GPUs whose instruction caches hold less than
  // a whole unrolled K tile (1,100–2,200 instructions, 17–35 KiB, for 16 or 32 steps of 64
  // FMAs and 4 vec4 reads). On an H100 (run 21) the whole tile unrolled was 6–16% faster.
  { tileM: 128, tileN: 128, tileK: 32, threadM: 8, threadN: 8, unrollBy: 8, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2 },
  { tileM: 128, tileN: 128, tileK: 16, threadM: 8, threadN: 8, unrollBy: 4, vec4Loads: true, prefetch: true, padTiles: true },
].map((c) => Object.freeze(c)));

/** The name of the environment variable that overrides the config in Node (for sweeps). */
export const MATMUL_ENV_VAR = 'SYMGRAD_WEBGPU_MATMUL';

/**
 * The most invocations a matmul workgroup may have: what desktop GPUs offer (1,024 on the H100
 * through Dawn); WebGPU guarantees 256, and a device's own limit is checked by
 * matmulConfigProblems.
 */
export const MAX_MATMUL_INVOCATIONS = 1024;

/** Invocations of one K slice of a workgroup (the whole workgroup without `slices`). */
export const matmulSliceInvocations = (c: MatmulConfig): number => (c.tileM / c.threadM) * (c.tileN / c.threadN);

/** Invocations per workgroup of a config. */
export const matmulInvocations = (c: MatmulConfig): number => (c.slices ?? 1) * matmulSliceInvocations(c);

/** Accumulators (f32 or vec4) each K slice hands over per round of the slices' final sum. */
export const MATMUL_SLICE_ROUND = 2;

/**
 * Workgroup memory of a config, in bytes: its two operand tiles (twice that when
 * double-buffered; with both padded where padTiles), once per K slice, and with slices the
 * buffer through which the slices' sums go to the first, MATMUL_SLICE_ROUND accumulators per
 * invocation of each other slice.
 */
export const matmulWorkgroupBytes = (c: MatmulConfig): number => {
  const slices = c.slices ?? 1;
  const tiles = slices * (c.doubleBuffer ? 2 : 1) * (c.tileM + c.tileN + (c.padTiles ? 8 : 0)) * c.tileK * 4;
  // Accumulators per invocation: a vec4 per row and group of 4 columns where threadN is a multiple of 4, else one f32 per result.
  const [accs, accBytes] = c.threadN % 4 === 0 ? [c.threadM * (c.threadN / 4), 16] : [c.threadM * c.threadN, 4];
  return tiles + (slices > 1 ? (slices - 1) * matmulSliceInvocations(c) * Math.min(MATMUL_SLICE_ROUND, accs) * accBytes : 0);
};

/** The rules a config itself breaks, whatever the device (empty when none). */
export function matmulConfigRules(c: MatmulConfig): string[] {
  const p: string[] = [];
  const names = ['tileM', 'tileN', 'tileK', 'threadM', 'threadN'] as const;
  const bad = names.filter((k) => !Number.isInteger(c[k]) || c[k] < 1);
  if (bad.length) return [`${bad.join(', ')} must be ${bad.length > 1 ? 'positive integers' : 'a positive integer'}`];
  if (c.splitK !== undefined && !(Number.isInteger(c.splitK) && c.splitK >= 2 && c.splitK <= 64)) p.push(`splitK (${c.splitK}) must be an integer from 2 to 64`);
  if (c.slices !== undefined && !(Number.isInteger(c.slices) && c.slices >= 2 && c.slices <= 8)) p.push(`slices (${c.slices}) must be an integer from 2 to 8`);
  if (c.unrollBy !== undefined) {
    if (c.unrollK) p.push(`unrollBy (${c.unrollBy}) and unrollK exclude each other (unrollK unrolls the whole K tile)`);
    else if (!(Number.isInteger(c.unrollBy) && c.unrollBy >= 2 && 2 * c.unrollBy <= c.tileK && c.tileK % c.unrollBy === 0)) {
      p.push(`unrollBy (${c.unrollBy}) must be an integer from 2 to tileK/2 that divides tileK (${c.tileK})`);
    }
  }
  if (c.tileM % c.threadM) p.push(`tileM (${c.tileM}) must be a multiple of threadM (${c.threadM})`);
  if (c.tileN % c.threadN) p.push(`tileN (${c.tileN}) must be a multiple of threadN (${c.threadN})`);
  if (p.length) return p;
  const inv = matmulInvocations(c);
  if (inv > MAX_MATMUL_INVOCATIONS) p.push(`${c.slices ? `slices·` : ''}(tileM/threadM)·(tileN/threadN) = ${inv} invocations must be at most ${MAX_MATMUL_INVOCATIONS}`);
  return p;
}

/**
 * The rules a config breaks on a device with these limits (empty when none): its own rules,
 * then invocations and workgroup memory against the device's.
 *
 * @example
 * ```ts
 * const usable = matmulConfigCandidates.filter((c) => matmulConfigProblems(c, device.limits).length === 0);
 * matmulConfigProblems({ ...HUGE_MATMUL_CONFIG, padTiles: true }, device.limits);
 * // with WebGPU's default 16 KiB: ['needs 16896 bytes of workgroup memory (…); the device allows 16384']
 * ```
 */
export function matmulConfigProblems(c: MatmulConfig, limits: CodegenLimits): string[] {
  const p = matmulConfigRules(c);
  if (p.length) return p;
  const inv = matmulInvocations(c);
  if (inv > limits.maxComputeInvocationsPerWorkgroup) p.push(`needs ${inv} invocations per workgroup; the device allows ${limits.maxComputeInvocationsPerWorkgroup}`);
  const bytes = matmulWorkgroupBytes(c);
  if (bytes > limits.maxComputeWorkgroupStorageSize) {
    const tiles = `(tileM+tileN${c.padTiles ? '+8' : ''})·tileK·4`;
    const slices = c.slices ? `; ${c.slices} K slices with their tiles and the buffer for their sums` : '';
    p.push(`needs ${bytes} bytes of workgroup memory (${c.doubleBuffer ? `2·${tiles}, double-buffered` : tiles}${c.padTiles ? ', rows padded' : ''}${slices}); the device allows ${limits.maxComputeWorkgroupStorageSize}`);
  }
  return p;
}

/**
 * `"tileM,tileN,tileK,threadM,threadN"` then `unrollN` for a K tile unrolled N steps at a time,
 * the config's flags (unroll, vec4, prefetch, double, pad), `splitN` for a K split and `sliceN`
 * for K slices: the format SYMGRAD_WEBGPU_MATMUL takes.
 *
 * @example
 * ```ts
 * formatMatmulConfig(LARGE_MATMUL_CONFIG); // '128,64,16,8,4,unroll,vec4,prefetch'
 * ```
 */
export const formatMatmulConfig = (c: MatmulConfig): string =>
  [c.tileM, c.tileN, c.tileK, c.threadM, c.threadN, ...(c.unrollBy !== undefined ? [`unroll${c.unrollBy}`] : []),
    ...(Object.keys(MATMUL_FLAGS) as MatmulFlag[]).filter((f) => c[MATMUL_FLAGS[f]]),
    ...(c.splitK !== undefined && c.splitK > 1 ? [`split${c.splitK}`] : []), ...(c.slices !== undefined && c.slices > 1 ? [`slice${c.slices}`] : [])].join(',');

/**
 * Parses SYMGRAD_WEBGPU_MATMUL's value; throws naming the variable and the rule broken.
 *
 * @example
 * ```ts
 * parseMatmulConfig('128,64,16,8,4'); // { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 4 }
 * parseMatmulConfig('64,64,16,4,4,unroll,vec4'); // { …, unrollK: true, vec4Loads: true }
 * ```
 */
export function parseMatmulConfig(text: string): MatmulConfig {
  const fail = (why: string): never => {
    throw new Error(`${MATMUL_ENV_VAR}="${text}" is invalid: ${why} (expected "tileM,tileN,tileK,threadM,threadN" then optional flags ${flagList}, e.g. "${formatMatmulConfig(DEFAULT_MATMUL_CONFIG)}" or "${formatMatmulConfig(DEFAULT_MATMUL_CONFIG)},unroll,vec4")`);
  };
  const flagList = [...Object.keys(MATMUL_FLAGS), 'unroll<N>', 'split<N>', 'slice<N>'].map((f) => `"${f}"`).join(', ');
  const all = text.split(',').map((s) => s.trim());
  const parts = all.slice(0, 5);
  if (all.length < 5) fail(`it has ${all.length} comma-separated values, not 5`);
  if (parts.some((s) => !/^\d+$/.test(s))) fail('every value must be a positive integer');
  const [tileM, tileN, tileK, threadM, threadN] = parts.map(Number) as [number, number, number, number, number];
  const c: { -readonly [K in keyof MatmulConfig]: MatmulConfig[K] } = { tileM, tileN, tileK, threadM, threadN };
  for (const f of all.slice(5)) {
    const sp = /^split(\d+)$/.exec(f);
    if (sp) {
      if (c.splitK !== undefined) fail(`flag "split" is given twice`);
      c.splitK = Number(sp[1]);
      continue;
    }
    const un = /^unroll(\d+)$/.exec(f);
    if (un) {
      if (c.unrollBy !== undefined) fail(`flag "unroll<N>" is given twice`);
      c.unrollBy = Number(un[1]);
      continue;
    }
    const sl = /^slice(\d+)$/.exec(f);
    if (sl) {
      if (c.slices !== undefined) fail(`flag "slice" is given twice`);
      c.slices = Number(sl[1]);
      continue;
    }
    if (!Object.hasOwn(MATMUL_FLAGS, f)) fail(`unknown flag "${f}" (valid flags: ${flagList})`);
    const field = MATMUL_FLAGS[f as MatmulFlag];
    if (c[field]) fail(`flag "${f}" is given twice`);
    c[field] = true;
  }
  const rules = matmulConfigRules(c);
  if (rules.length) fail(rules.join('; '));
  return c;
}

/** SYMGRAD_WEBGPU_MATMUL's value that asks for tuning instead of naming a config. */
export const MATMUL_TUNE_VALUE = 'tune';

const matmulEnv = (): string | undefined =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[MATMUL_ENV_VAR];

/** The config SYMGRAD_WEBGPU_MATMUL names, or undefined where it is unset, `tune`, or there is no process (browsers). */
export function matmulConfigFromEnv(): MatmulConfig | undefined {
  const v = matmulEnv();
  return v === undefined || v === '' || v.trim() === MATMUL_TUNE_VALUE ? undefined : parseMatmulConfig(v);
}

/** Whether SYMGRAD_WEBGPU_MATMUL is `tune` (time candidate configs per shape on the device). */
export const matmulTuningFromEnv = (): boolean => matmulEnv()?.trim() === MATMUL_TUNE_VALUE;
