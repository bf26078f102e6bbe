import { describe, expect, it } from 'vitest';
import { MAX_TIMED_PASSES, timePasses } from './timestamps.js';

// The device-free part of timePasses (the timing itself runs in executable.device.test.ts).
describe('timePasses', () => {
  it('refuses more passes than one query set holds, before touching the device', async () => {
    const device = {} as GPUDevice; // any device call would throw a TypeError instead
    await expect(timePasses(device, MAX_TIMED_PASSES + 1, () => {})).rejects.toThrow('webgpu backend: 2049 timed passes in one submit (at most 2048)');
  });
});
