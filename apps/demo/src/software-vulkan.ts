import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where Debian's chromium package puts SwiftShader's Vulkan driver manifest. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const SYSTEM_ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

/**
 * Adds SwiftShader (a software Vulkan driver) to the drivers the Vulkan loader sees, after
 * every installed one, so WebGPU can run on a machine without a GPU while a real GPU's driver
 * stays visible and is preferred. Does nothing when the user chose drivers
 * (VK_ICD_FILENAMES / VK_DRIVER_FILES) or SwiftShader is absent. Returns what it set.
 */
export function addSoftwareVulkan(env: NodeJS.ProcessEnv = process.env, icd = SWIFTSHADER_ICD, dirs = SYSTEM_ICD_DIRS): string | undefined {
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES || !existsSync(icd)) return undefined;
  const system = dirs.flatMap((d) => {
    try {
      return readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => join(d, f));
    } catch {
      return [];
    }
  });
  env.VK_ICD_FILENAMES = [...system, icd].join(':');
  env.XDG_RUNTIME_DIR ??= '/tmp';
  return env.VK_ICD_FILENAMES;
}
