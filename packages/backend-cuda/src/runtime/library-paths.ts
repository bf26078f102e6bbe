import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where NVRTC and cuBLAS are looked for, in order: `$CUDA_PATH` (and `$CUDA_HOME`), the
 * dynamic loader's own path (""), /usr/local/cuda, then the `nvidia/*\/lib` folders of
 * Python wheels (`pip install nvidia-cuda-nvrtc-cu12 nvidia-cublas-cu12`) in the active
 * virtualenv/conda prefix, the user site and the system site-packages. The driver itself
 * (libcuda.so.1) is only ever taken from the loader path.
 *
 * @example
 * ```ts
 * cudaSearchDirs({ CUDA_PATH: '/opt/cuda' }); // ['/opt/cuda/lib64', '/opt/cuda/lib', '', '/usr/local/cuda/lib64', …]
 * ```
 */
export function cudaSearchDirs(env: NodeJS.ProcessEnv = process.env, home = homedir(), root = '/'): string[] {
  const dirs: string[] = [];
  for (const v of [env.CUDA_PATH, env.CUDA_HOME]) if (v) dirs.push(join(v, 'lib64'), join(v, 'lib'));
  dirs.push('', join(root, 'usr/local/cuda/lib64'), join(root, 'usr/local/cuda/lib'));
  for (const site of pythonSiteDirs(env, home, root)) {
    const nvidia = join(site, 'nvidia');
    for (const pkg of listDir(nvidia).sort()) {
      const lib = join(nvidia, pkg, 'lib');
      if (existsSync(lib)) dirs.push(lib);
    }
  }
  return [...new Set(dirs)];
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** site-packages / dist-packages folders that exist, most specific first. */
export function pythonSiteDirs(env: NodeJS.ProcessEnv, home: string, root = '/'): string[] {
  const prefixes: string[] = [];
  if (env.VIRTUAL_ENV) prefixes.push(env.VIRTUAL_ENV);
  if (env.CONDA_PREFIX) prefixes.push(env.CONDA_PREFIX);
  prefixes.push(join(home, '.local'), join(root, 'usr/local'), join(root, 'usr'));
  const out: string[] = [];
  for (const prefix of prefixes) {
    const lib = join(prefix, 'lib');
    for (const py of listDir(lib).filter((d) => /^python3(\.\d+)?$/.test(d)).sort().reverse()) {
      for (const kind of ['site-packages', 'dist-packages']) {
        const site = join(lib, py, kind);
        if (existsSync(site)) out.push(site);
      }
    }
  }
  return out;
}
