import { existsSync } from 'node:fs';
import { requestWebGPUAdapter } from '../runtime/gpu-loader.js';
import { WebGPUBackend } from '../backend.js';
import { SWIFTSHADER_ICD } from './swiftshader-env.js';

/**
 * Why device tests cannot run here, or undefined when an adapter exists. In CI (env CI set)
 * a missing adapter is an error, thrown by `deviceTestGate`, so the suite fails loudly.
 */
export async function missingDeviceReason(): Promise<string | undefined> {
  const a = await requestWebGPUAdapter();
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
