/**
 * Finding a WebGPU implementation and an adapter, without crashing where there is none.
 * Browsers (and Deno) offer `navigator.gpu`; Node gets one from the optional `webgpu`
 * package (Dawn), imported dynamically so bundles for browsers never see it.
 */

/** How to obtain a GPU object; replaceable in tests (inject a failing loader). */
export interface GpuLoaderOptions {
  /** Imports the `webgpu` package (Node). */
  readonly importWebgpu?: () => Promise<unknown>;
  /** Dawn toggles passed to the package's `create()` (default: `DEFAULT_DAWN_FLAGS`). */
  readonly dawnFlags?: readonly string[];
  /** Adapter options, e.g. `{ powerPreference: 'high-performance' }`. */
  readonly adapterOptions?: GPURequestAdapterOptions;
}

/** What this machine offers for WebGPU. */
export interface WebGPUProbe {
  /** Whether `navigator.gpu` exists (browsers in a secure context; Deno). */
  readonly navigatorGpu: boolean;
  /** Whether the optional `webgpu` package (Dawn for Node) could be imported, and why not. */
  readonly webgpuPackage: { readonly state: 'loaded' } | { readonly state: 'not-installed' } | { readonly state: 'failed'; readonly error: string } | { readonly state: 'not-tried' };
}

export type AdapterResult =
  | { readonly ok: true; readonly adapter: GPUAdapter; readonly source: 'navigator.gpu' | "the 'webgpu' package"; readonly probe: WebGPUProbe }
  | { readonly ok: false; readonly reason: string; readonly probe: WebGPUProbe };

// A specifier held in a variable: TypeScript and bundlers leave the optional package alone.
const WEBGPU_PACKAGE = 'webgpu';
const defaultImport = (): Promise<unknown> => import(/* @vite-ignore */ WEBGPU_PACKAGE);

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** True when the error says the `webgpu` package itself is missing (not one of its own imports). */
function isNotFound(err: unknown): boolean {
  return new RegExp(`Cannot find (package|module) ['"]${WEBGPU_PACKAGE}['"]`).test(message(err));
}

function navigatorGpu(): GPU | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GPU | null } }).navigator;
  return nav?.gpu ?? undefined;
}

const isNode = (): boolean => typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';

const VULKAN_HINT =
  'on Linux install a Vulkan driver and loader (apt-get install libvulkan1 mesa-vulkan-drivers), or use SwiftShader on the CPU ' +
  "(apt-get install chromium libvulkan1; VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)";

/**
 * Dawn's default toggles here. Dawn zero-fills workgroup memory at the start of every
 * invocation, which on SwiftShader costs seconds of shader compilation per kernel with a
 * 4 KiB workgroup array (measured: 2.2 s → 35 ms). Every kernel of this backend writes its
 * workgroup memory before reading it, so the fill is dead work. Dawn also rounds timestamp
 * queries down to multiples of 65,536 ns (a browser's defence against timing attacks),
 * which would make profile mode's kernel times and matmul tuning useless for kernels of
 * tens of µs; a Node process has no such attacker.
 */
export const DEFAULT_DAWN_FLAGS: readonly string[] = ['enable-dawn-features=disable_workgroup_init', 'disable-dawn-features=timestamp_quantization'];

/**
 * Dawn flags for `dawnFlags` that enable the given Dawn features (toggles) on top of `base`
 * (default `DEFAULT_DAWN_FLAGS`): they join its `enable-dawn-features=` list, since `create()`
 * keeps only the last value of each flag.
 *
 * @example
 * ```ts
 * // Tint's bounds clamps off: this backend's kernels check their own bounds.
 * const backend = await WebGPUBackend.create({ dawnFlags: withDawnFeatures(['disable_robustness']) });
 * ```
 */
export function withDawnFeatures(features: readonly string[], base: readonly string[] = DEFAULT_DAWN_FLAGS): string[] {
  const key = 'enable-dawn-features=';
  const at = base.findIndex((f) => f.startsWith(key));
  if (at < 0) return [...base, `${key}${features.join(',')}`];
  const have = base[at]!.slice(key.length).split(',').filter((x) => x !== '');
  return base.map((f, i) => (i === at ? `${key}${[...new Set([...have, ...features])].join(',')}` : f));
}

type Loaded = { gpu?: GPU; state: WebGPUProbe['webgpuPackage'] };

// Dawn's create() makes a GPU instance with its own event processing; a second instance
// in the same process can abort it (std::system_error), so one GPU object is created per
// importer (the default import: one per process) and shared. Its Dawn flags are fixed when
// it is created: a later request with other flags is refused, naming both.
const shared = new WeakMap<() => Promise<unknown>, { readonly flags: readonly string[]; readonly loaded: Promise<Loaded> }>();

/** Imports the `webgpu` package and creates its GPU object (once per importer and process). */
function loadPackage(opts: GpuLoaderOptions): Promise<Loaded> {
  const importer = opts.importWebgpu ?? defaultImport;
  const flags = [...(opts.dawnFlags ?? DEFAULT_DAWN_FLAGS)];
  const have = shared.get(importer);
  if (!have) {
    const loaded = loadPackageOnce(importer, flags);
    shared.set(importer, { flags, loaded });
    return loaded;
  }
  if (have.flags.join('\n') === flags.join('\n')) return have.loaded;
  const list = (f: readonly string[]) => `[${f.map((x) => `'${x}'`).join(', ')}]`;
  const error = `its GPU object was created in this process with Dawn flags ${list(have.flags)}, and this backend asks for ${list(flags)}; `
    + 'Dawn allows one instance per process, so every WebGPU backend of a process must use the same dawnFlags';
  return Promise.resolve({ state: { state: 'failed', error } });
}

async function loadPackageOnce(importer: () => Promise<unknown>, flags: string[]): Promise<Loaded> {
  let mod: unknown;
  try {
    mod = await importer();
  } catch (err) {
    return { state: isNotFound(err) ? { state: 'not-installed' } : { state: 'failed', error: message(err) } };
  }
  const create = (mod as { create?: (flags: string[]) => GPU } | undefined)?.create;
  if (typeof create !== 'function') return { state: { state: 'failed', error: "the package has no create() export (webgpu 0.6 or later is expected)" } };
  try {
    return { gpu: create(flags), state: { state: 'loaded' } };
  } catch (err) {
    return { state: { state: 'failed', error: `create() threw: ${message(err)}` } };
  }
}

/**
 * Finds a WebGPU adapter: `navigator.gpu` where it exists, else (in Node) the `webgpu`
 * package. Never throws: the failure reason names what is missing and how to get it.
 * For checking a machine without creating a backend.
 *
 * @example
 * ```ts
 * const r = await requestWebGPUAdapter({ adapterOptions: { powerPreference: 'high-performance' } });
 * console.log(r.ok ? `${describeAdapter(r.adapter)} through ${r.source}` : r.reason);
 * ```
 */
export async function requestWebGPUAdapter(opts: GpuLoaderOptions = {}): Promise<AdapterResult> {
  const nav = navigatorGpu();
  let gpu = nav;
  let source: 'navigator.gpu' | "the 'webgpu' package" = 'navigator.gpu';
  let pkg: WebGPUProbe['webgpuPackage'] = { state: 'not-tried' };
  if (!gpu && (isNode() || opts.importWebgpu)) {
    const loaded = await loadPackage(opts);
    pkg = loaded.state;
    gpu = loaded.gpu;
    source = "the 'webgpu' package";
  }
  const probe: WebGPUProbe = { navigatorGpu: nav !== undefined, webgpuPackage: pkg };
  if (!gpu) {
    const why = pkg.state === 'not-installed'
      ? "navigator.gpu is not present and the optional 'webgpu' package is not installed (in Node: npm install webgpu)"
      : pkg.state === 'failed'
        ? `navigator.gpu is not present and the optional 'webgpu' package failed to load: ${pkg.error}`
        : 'navigator.gpu is not present (a browser needs WebGPU enabled and a secure context: https or localhost)';
    return { ok: false, reason: `no WebGPU implementation: ${why}`, probe };
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(opts.adapterOptions);
  } catch (err) {
    return { ok: false, reason: `no WebGPU adapter: requestAdapter() through ${source} failed: ${message(err)} (${VULKAN_HINT})`, probe };
  }
  if (!adapter) {
    const hint = source === 'navigator.gpu' && !isNode() ? 'the browser offers no GPU adapter (check chrome://gpu, or start Chromium with --enable-unsafe-webgpu)' : VULKAN_HINT;
    return { ok: false, reason: `no WebGPU adapter: ${source} found none (${hint})`, probe };
  }
  return { ok: true, adapter, source, probe };
}

/**
 * A readable adapter name: vendor, architecture, device, description where given (the
 * backend's `capabilities.device`), or 'WebGPU adapter' when the adapter tells nothing.
 *
 * @example
 * ```ts
 * const r = await requestWebGPUAdapter();
 * if (r.ok) console.log(`WebGPU on ${describeAdapter(r.adapter)}`);
 * ```
 */
export function describeAdapter(adapter: GPUAdapter): string {
  const info = (adapter as { info?: Partial<GPUAdapterInfo> }).info ?? {};
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s): s is string => typeof s === 'string' && s !== '');
  return parts.length ? [...new Set(parts)].join(' ') : 'WebGPU adapter';
}
