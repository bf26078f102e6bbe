/**
 * Loads gpu.js at run time. Importing gpu.js can throw in Node (its `webgpu` and `gl`
 * dependencies are native and may not load), so the import is dynamic and every failure
 * becomes a reason instead of a crash.
 */

/** The parts of gpu.js this backend uses. */
export interface GpuLike {
  readonly mode?: string;
  readonly Kernel?: abstract new (...args: never[]) => unknown;
  createKernel(source: string, settings?: Record<string, unknown>): GpuKernelLike;
  destroy?(): void;
}

export interface GpuKernelLike {
  (...args: unknown[]): unknown;
  setOutput(output: number[]): GpuKernelLike;
  destroy?(removeCanvasReferences?: boolean): void;
}

export type GpuConstructor = new (settings?: Record<string, unknown>) => GpuLike;

export type GpuProbe = { ok: true; gpu: GpuLike; device: string } | { ok: false; reason: string };

const KERNEL_MODES: readonly (readonly [string, string])[] = [
  ['WebGL2Kernel', 'WebGL2'], ['WebGLKernel', 'WebGL'], ['HeadlessGLKernel', 'headless-gl'], ['WebGPUKernel', 'WebGPU'],
  ['WebAssemblyKernel', 'webasm'], ['CPUKernel', 'cpu'],
];

/**
 * A readable name of the mode gpu.js picked ('gpu.js (WebGL2)', 'gpu.js (webasm)', …). The
 * kernel class is compared with the module's exports, since a minifying bundler renames
 * classes (so `Kernel.name` alone is not enough).
 *
 * @example
 * ```ts
 * const mod = await import('gpu.js');
 * describeMode(new mod.GPU(), mod); // 'gpu.js (webasm)' in Node, 'gpu.js (WebGL2)' in a browser
 * ```
 */
export function describeMode(gpu: GpuLike, mod: Record<string, unknown> = {}): string {
  const kernel = gpu.Kernel;
  const found = KERNEL_MODES.find(([cls]) => kernel !== undefined && (mod[cls] === kernel || kernel.name === cls));
  return `gpu.js (${found?.[1] ?? gpu.mode ?? 'unknown mode'})`;
}

/**
 * Imports gpu.js and creates a GPU, or says why it cannot (never throws); `importer` is
 * replaceable in tests.
 *
 * @example
 * ```ts
 * const p = await loadGpu();
 * console.log(p.ok ? p.device : p.reason); // 'gpu.js (webasm)' in Node, or why gpu.js cannot run
 * ```
 */
export async function loadGpu(importer: () => Promise<unknown> = () => import('gpu.js')): Promise<GpuProbe> {
  let mod: unknown;
  try {
    mod = await importer();
  } catch (err) {
    return { ok: false, reason: `gpu.js could not be imported (${(err as Error).message}): install it with 'pnpm add gpu.js'` };
  }
  const m = mod as { GPU?: GpuConstructor; default?: { GPU?: GpuConstructor } };
  const exports = (m.GPU ? m : m.default ?? {}) as Record<string, unknown>;
  const GPU = m.GPU ?? m.default?.GPU;
  if (typeof GPU !== 'function') return { ok: false, reason: 'gpu.js loaded but exports no GPU class (an incompatible gpu.js version?)' };
  try {
    const gpu = new GPU();
    return { ok: true, gpu, device: describeMode(gpu, exports) };
  } catch (err) {
    return { ok: false, reason: `gpu.js could not create a GPU: ${(err as Error).message}` };
  }
}
