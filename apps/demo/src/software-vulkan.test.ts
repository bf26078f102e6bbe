import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addSoftwareVulkan } from './software-vulkan.js';

describe('addSoftwareVulkan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vk-'));
  const icd = join(dir, 'vk_swiftshader_icd.json');
  writeFileSync(icd, '{}');
  mkdirSync(join(dir, 'icd.d'));
  writeFileSync(join(dir, 'icd.d', 'nvidia_icd.json'), '{}');

  it('appends SwiftShader after the installed drivers, so a real GPU stays visible', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(addSoftwareVulkan(env, icd, [join(dir, 'icd.d'), join(dir, 'missing')])).toBe(`${join(dir, 'icd.d', 'nvidia_icd.json')}:${icd}`);
    expect(env.XDG_RUNTIME_DIR).toBe('/tmp');
  });
  it("leaves the user's own choice of drivers alone", () => {
    const env: NodeJS.ProcessEnv = { VK_ICD_FILENAMES: '/my/driver.json' };
    expect(addSoftwareVulkan(env, icd, [])).toBeUndefined();
    expect(env.VK_ICD_FILENAMES).toBe('/my/driver.json');
  });
  it('does nothing without SwiftShader', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(addSoftwareVulkan(env, join(dir, 'absent.json'), [])).toBeUndefined();
    expect(env.VK_ICD_FILENAMES).toBeUndefined();
  });
});
