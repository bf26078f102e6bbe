import { existsSync } from 'node:fs';
import { allocTyped, type DeviceBuffer, type Program } from '@symgrad/core';
import { afterAll, beforeAll, it } from 'vitest';
import { requestWebGPUAdapter, type GpuLoaderOptions } from '../runtime/gpu-loader.js';
import { WebGPUBackend } from '../backend.js';
import { SWIFTSHADER_ICD } from './swiftshader-env.js';

/**
 * Why device tests cannot run here, or undefined when an adapter exists (found with `loader`,
 * whose Dawn flags must be the ones the file's backends use: one Dawn instance per process).
 * In CI (env CI set) a missing adapter is an error, so the suite fails loudly.
 */
export async function missingDeviceReason(loader: GpuLoaderOptions = {}): Promise<string | undefined> {
  const a = await requestWebGPUAdapter(loader);
  if (a.ok) return undefined;
  const hint = existsSync(SWIFTSHADER_ICD) ? '' : ` (SwiftShader's ICD ${SWIFTSHADER_ICD} is absent: apt-get install chromium libvulkan1)`;
  return `${a.reason}${hint}`;
}

/** A fresh backend for a test file, or the skip reason. */
export async function backendOrReason(): Promise<WebGPUBackend | string> {
  const why = await missingDeviceReason();
  if (why !== undefined) return why;
  return WebGPUBackend.create();
}

export const inCI = (): boolean => !!process.env.CI;

/**
 * A test file's device tests: one backend (made by `create`, default `WebGPUBackend.create()`)
 * created before the file's tests and disposed after them, and `deviceIt`, which runs a test on
 * it or skips it with the reason where there is no adapter (looked for with `loader`).
 */
export function deviceTests(create: () => Promise<WebGPUBackend> = () => WebGPUBackend.create(), loader: GpuLoaderOptions = {}) {
  let backend: WebGPUBackend | string = 'not created yet';
  beforeAll(async () => { backend = (await missingDeviceReason(loader)) ?? await create(); });
  afterAll(() => { if (typeof backend !== 'string') backend.dispose(); });
  return (name: string, body: (b: WebGPUBackend) => Promise<void>, timeout?: number) =>
    it(name, async (ctx) => {
      if (typeof backend === 'string') return ctx.skip(`no WebGPU adapter: ${backend}`);
      await body(backend);
    }, timeout);
}

/** A Program's buffers on the device, holding `init` (one array per buffer, in its dtype's values). */
export function uploadProgramBuffers(b: WebGPUBackend, program: Program, init: readonly Float64Array[]): DeviceBuffer[] {
  return program.buffers.map((s, i) => {
    const buf = b.allocate(s.dtype, s.size);
    const a = allocTyped(s.dtype, s.size);
    a.set(init[i]!);
    b.write(buf, a);
    return buf;
  });
}

