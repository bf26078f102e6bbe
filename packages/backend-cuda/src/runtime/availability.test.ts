import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CudaAddon } from '../native.js';
import { unavailableReason } from './availability.js';
import { cudaSearchDirs } from './library-paths.js';

const addon = {} as CudaAddon;
const none = (error: string) => ({ found: false, error });
const ok = (version: string) => ({ found: true, path: '/x', version });

describe('unavailableReason', () => {
  it('names the missing driver first, then what was found', () => {
    expect(unavailableReason({ addon }, { driver: none('libcuda.so.1 not found (no NVIDIA driver): dlerror text'), nvrtc: ok('13.0'), cublas: ok('13.1.0'), cublasLt: ok('13.1.0') }))
      .toBe('libcuda.so.1 not found (no NVIDIA driver): dlerror text; NVRTC 13.0 found, cuBLAS 13.1.0 found');
  });
  it('names missing NVRTC or cuBLAS with the driver version found', () => {
    expect(unavailableReason({ addon }, { driver: ok('13.0'), nvrtc: none('libnvrtc.so.13 / libnvrtc.so.12 not found (…)'), cublas: ok('13.1.0'), cublasLt: ok('13.1.0') }))
      .toBe('libnvrtc.so.13 / libnvrtc.so.12 not found (…); driver 13.0 found, NVRTC not found, cuBLAS 13.1.0 found');
  });
  it('is undefined when everything was found, and says so when the addon did not load', () => {
    expect(unavailableReason({ addon }, { driver: ok('13.0'), nvrtc: ok('13.0'), cublas: ok('13.1.0'), cublasLt: ok('13.1.0') })).toBeUndefined();
    expect(unavailableReason({ error: 'the CUDA addon did not load (x)' }, undefined)).toBe('the CUDA addon did not load (x)');
  });
});

describe('cudaSearchDirs', () => {
  const root = mkdtempSync(join(tmpdir(), 'symgrad-cuda-dirs-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  it('searches CUDA_PATH, the loader path, /usr/local/cuda, then nvidia/*/lib of Python wheels', () => {
    const home = join(root, 'home');
    for (const d of ['home/.local/lib/python3.12/site-packages/nvidia/cublas/lib', 'home/.local/lib/python3.12/site-packages/nvidia/cuda_nvrtc/lib', 'venv/lib/python3.11/site-packages/nvidia/cublas/lib', 'usr/lib/python3/dist-packages/nvidia/cublas/lib']) mkdirSync(join(root, d), { recursive: true });
    const dirs = cudaSearchDirs({ CUDA_PATH: '/opt/cuda', VIRTUAL_ENV: join(root, 'venv') }, home, root);
    expect(dirs).toEqual([
      '/opt/cuda/lib64', '/opt/cuda/lib', '', join(root, 'usr/local/cuda/lib64'), join(root, 'usr/local/cuda/lib'),
      join(root, 'venv/lib/python3.11/site-packages/nvidia/cublas/lib'),
      join(home, '.local/lib/python3.12/site-packages/nvidia/cublas/lib'), join(home, '.local/lib/python3.12/site-packages/nvidia/cuda_nvrtc/lib'),
      join(root, 'usr/lib/python3/dist-packages/nvidia/cublas/lib'),
    ]);
  });
});
