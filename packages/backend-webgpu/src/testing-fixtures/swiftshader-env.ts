// Vitest setup (runs before any test file imports `webgpu`): points the Vulkan loader at
// SwiftShader, the CPU Vulkan driver Debian's `chromium` package ships, unless the
// environment already chose a driver. Dawn reads these when it loads. See
// /work/shared/WEBGPU-ON-CPU.md and the README's "Testing without a GPU".
import { existsSync } from 'node:fs';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
process.env.XDG_RUNTIME_DIR ??= '/tmp';
