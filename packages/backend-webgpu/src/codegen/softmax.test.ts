import { describe, expect, it } from 'vitest';
import type { Program, View } from '@symgrad/core';
import { generateProgram } from './generate.js';
import { DEFAULT_CODEGEN_LIMITS } from './kernel.js';
import { SOFTMAX_WORKGROUP, softmaxLayout } from './softmax.js';

// The softmax kernel's layout and WGSL without a device (the device tests check the values).
const program = (rows: number, cols: number, log = false): Program => {
  const v: View = { buffer: 0, offset: 0, shape: [rows, cols], strides: [cols, 1] };
  return {
    buffers: [{ id: 0, dtype: 'float32', size: rows * cols, role: 'input' }, { id: 1, dtype: 'float32', size: rows * cols, role: 'output' }],
    kernels: [{ kind: 'softmax', input: v, output: { ...v, buffer: 1 }, log, dtype: 'float32', label: 'sm' }],
  };
};

describe('softmax layout', () => {
  it.each([
    [1, 1, 256, 1], [7, 8, 32, 1], [256, 256, 1, 1], [257, 256, 1, 2], [1000, 256, 1, 4], [4096, 256, 1, 16], [4097, 256, 1, 0], [4099, 256, 1, 0],
  ])('cols %i: %i lanes, %i rows per workgroup, %i cached per lane (0: re-read)', (cols, lanes, rowsPerGroup, cached) => {
    expect(softmaxLayout(37, cols)).toMatchObject({ lanes, rowsPerGroup, cached, groups: Math.ceil(37 / rowsPerGroup) });
  });

  it('packs short rows into one workgroup and guards the rows past the end without returning before a barrier', () => {
    const [k] = generateProgram(program(37, 7));
    expect(k!.dispatch).toEqual([2, 1, 1]);
    expect(k!.code).toContain(`@workgroup_size(${SOFTMAX_WORKGROUP})`);
    expect(k!.code).toContain('let r = wid.x * 32u + lid.x / 8u;');
    expect(k!.code).toContain('let n = select(0u, 7u, r < 37u);');
    expect(k!.code).not.toContain('return;');
  });

  it('splits more rows than a grid dimension holds into a 2-D launch', () => {
    const [k] = generateProgram(program(5, 300), { ...DEFAULT_CODEGEN_LIMITS, maxComputeWorkgroupsPerDimension: 3 });
    expect(k!.dispatch).toEqual([3, 2, 1]);
    expect(k!.code).toContain('let r = wid.x + wid.y * 3u;');
    const [p] = generateProgram(program(600, 1), { ...DEFAULT_CODEGEN_LIMITS, maxComputeWorkgroupsPerDimension: 2 });
    expect(p!.dispatch).toEqual([2, 2, 1]);
    expect(p!.code).toContain('let r = (wid.x + wid.y * 2u) * 256u + lid.x;');
  });

  it('reads a long row once per pass from memory, a shorter one once in all', () => {
    const count = (code: string) => code.split('b0[').length - 1;
    const [cached] = generateProgram(program(3, 1000, true));
    expect(count(cached!.code)).toBe(4); // one load per cached element, in the max pass only
    const [long] = generateProgram(program(3, 4099, true));
    expect(count(long!.code)).toBe(3); // the max, sum and write loops
    expect(long!.code).toContain('for (var c = lane; c < n; c = c + 256u)');
  });
});
