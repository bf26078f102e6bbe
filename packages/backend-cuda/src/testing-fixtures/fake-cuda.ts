import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

// A fake CUDA userspace for tests on machines without a GPU: the C++ sources in ./fake-cuda
// become libcuda.so.1, libnvrtc.so.13, libcublas.so.13 and libcublasLt.so.13, which run
// the addon's host logic end to end (memory, streams, capture, graphs, GEMMs on the host).
// Generated kernels run too: the fake NVRTC compiles their CUDA C as host C++ with the C++
// compiler ($FAKE_CUDA_CXX) against fake-cuda/simt_host.h, and the fake driver runs each
// block's threads as fibers (fake-cuda/fake_simt.cc). See fake-cuda/fake_driver.cc for the rules.

/** The fakes' C++ sources (and the SIMT self-test program). */
export const FAKE_CUDA_SOURCES = join(dirname(fileURLToPath(import.meta.url)), 'fake-cuda');
const SOURCES = FAKE_CUDA_SOURCES;

/** The C++ compiler to build the fakes with (`$CXX`, else c++ / g++ / clang++ on PATH), or why there is none. */
export function findCxx(): { cxx?: string; reason?: string } {
  const candidates = [process.env.CXX, 'c++', 'g++', 'clang++'].filter((c): c is string => !!c);
  for (const c of candidates) {
    if (c.includes('/')) {
      if (existsSync(c)) return { cxx: c };
      continue;
    }
    for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, c))) return { cxx: join(dir, c) };
  }
  return { reason: `no C++ compiler found (tried ${candidates.join(', ')} on PATH)` };
}

/**
 * Compiles the four fake libraries into `dir` (created if missing), with their real file
 * names and sonames, and puts beside them the headers the fake NVRTC compiles kernels with. Returns `dir`, or undefined when there is no C++ compiler (findCxx says
 * why). A compiler error throws: the fakes must always build where a compiler exists.
 * `defines` (macro names) build a variant: FAKE_CUDA_NO_EVENT_RECORD_WITH_FLAGS leaves
 * cuEventRecordWithFlags out of the driver, as an older driver would.
 *
 * @example
 * ```ts
 * const lib = buildFakeCuda(mkdtempSync(join(tmpdir(), 'fake-cuda-')));
 * if (lib) await runWithFakeCuda(lib, 'script.mjs', { FAKE_CUDA_LOG: '/tmp/log' });
 * ```
 */
export function buildFakeCuda(dir: string, defines: readonly string[] = []): string | undefined {
  const { cxx } = findCxx();
  if (!cxx) return undefined;
  mkdirSync(dir, { recursive: true });
  const flags = ['-std=c++17', '-O1', '-g0', '-fPIC', '-shared', '-Wall', '-Werror', '-I', SOURCES, ...defines.map((d) => `-D${d}`)];
  const build = (soname: string, sources: string | string[], extra: string[] = []) => {
    try {
      const files = (Array.isArray(sources) ? sources : [sources]).map((f) => join(SOURCES, f));
      execFileSync(cxx, [...flags, `-Wl,-soname,${soname}`, '-o', join(dir, soname), ...files, ...extra], { stdio: 'pipe' });
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      throw new Error(`building the fake ${soname} failed: ${err.stderr?.toString() ?? err.message}`);
    }
  };
  build('libcuda.so.1', ['fake_driver.cc', 'fake_driver_memory.cc', 'fake_driver_kernels.cc', 'fake_simt.cc'], ['-lpthread', '-ldl']);
  build('libnvrtc.so.13', 'fake_nvrtc.cc', ['-ldl']);
  // The fake NVRTC compiles every program against these, and looks for them next to itself.
  for (const h of ['simt_host.h', 'simt_abi.h']) copyFileSync(join(SOURCES, h), join(dir, h));
  // cuBLAS and cuBLASLt enqueue work through the fake driver, so they link against it;
  // $ORIGIN lets the loader find it next to them.
  const needDriver = [join(dir, 'libcuda.so.1'), '-Wl,-rpath,$ORIGIN'];
  build('libcublasLt.so.13', 'fake_cublaslt.cc', needDriver);
  build('libcublas.so.13', 'fake_cublas.cc', needDriver);
  return dir;
}

export interface ChildResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node <script> …args` (an ES module) with the fake libraries in front of everything else:
 * LD_LIBRARY_PATH and CUDA_PATH are `libDir`, CUDA_HOME is unset, SYMGRAD_CACHE_DIR is a
 * fresh folder beside `libDir`, FAKE_CUDA_CXX is the C++ compiler the fake NVRTC builds
 * kernels with (findCxx), and the CUDA backend's own settings (SYMGRAD_CUDA_*) and the
 * fakes' (FAKE_CUDA_*) are cleared unless `env` sets them. Never rejects: the exit code,
 * stdout and stderr come back.
 */
export function runWithFakeCuda(libDir: string, script: string, env: Record<string, string> = {}, timeoutMs = 120_000, args: readonly string[] = []): Promise<ChildResult> {
  const { cxx } = findCxx();
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(childEnv)) if (k.startsWith('SYMGRAD_CUDA_') || k.startsWith('FAKE_CUDA_')) delete childEnv[k];
  delete childEnv.CUDA_HOME;
  Object.assign(childEnv, {
    LD_LIBRARY_PATH: libDir,
    CUDA_PATH: libDir,
    // Beside the libraries, so it goes when the caller removes them.
    SYMGRAD_CACHE_DIR: mkdtempSync(join(dirname(libDir), 'cache-')),
    ...(cxx ? { FAKE_CUDA_CXX: cxx } : {}),
    ...env,
  });
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { env: childEnv, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** A scratch folder for one test file, with the fakes built in it. */
export interface FakeCudaWorkspace {
  readonly scratch: string;
  /** The C++ compiler the fakes were built with. */
  readonly cxx?: string;
  /** The built libraries, or undefined when there is no C++ compiler (then `reason` says why). */
  readonly libDir?: string;
  readonly reason?: string;
}

/**
 * A scratch folder under the package's `.fake-cuda-tmp` (where a child's `@symgrad/*` imports
 * resolve to the built packages), with the fakes built in `lib/`, removed after the calling
 * test file unless FAKE_CUDA_KEEP=1. Without a C++ compiler `libDir` is undefined and the
 * file should skip with `reason`; with CI set that throws instead (CI must run these tests).
 *
 * @example
 * ```ts
 * const { scratch, libDir, reason } = fakeCudaWorkspace('run-');
 * describe.skipIf(!libDir)(`… ${libDir ? '' : `(skipped: ${reason})`}`, () => { … });
 * ```
 */
export function fakeCudaWorkspace(prefix: string): FakeCudaWorkspace {
  const { cxx, reason } = findCxx();
  if (!cxx && process.env.CI) throw new Error(`${reason}, and CI is set: CI must run the fake-CUDA tests`);
  const work = join(SOURCES, '..', '..', '..', '.fake-cuda-tmp');
  mkdirSync(work, { recursive: true });
  const scratch = mkdtempSync(join(work, prefix));
  afterAll(() => void (process.env.FAKE_CUDA_KEEP ? console.log(`fake-cuda scratch kept in ${scratch}`) : rmSync(scratch, { recursive: true, force: true })));
  const libDir = cxx ? buildFakeCuda(join(scratch, 'lib')) : undefined;
  return { scratch, ...(cxx ? { cxx } : {}), ...(libDir ? { libDir } : { reason: reason ?? 'the fakes did not build' }) };
}
