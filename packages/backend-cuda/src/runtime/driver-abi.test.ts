import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../testing-fixtures/programs.js';

// native/cuda_api.h writes out the driver's constants instead of including cuda.h (users
// need no CUDA headers). Where the toolkit's cuda.h exists (CI installs nvcc with it), a
// C++ file holding both must compile: every constant the addon uses equals the header's.
const nativeDir = join(dirname(dirname(dirname(fileURLToPath(import.meta.url)))), 'native');
const cudaInclude = [process.env.CUDA_PATH, '/usr/local/cuda'].filter((d): d is string => !!d).map((d) => join(d, 'include')).find((d) => existsSync(join(d, 'cuda.h')));
if (!cudaInclude && process.env.CI) throw new Error('cuda.h not found, and CI is set: CI must check the addon\'s driver constants');
const dir = mkdtempSync(join(tmpdir(), 'symgrad-cuda-abi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SAME = [
  'CUDA_SUCCESS', 'CUDA_ERROR_OUT_OF_MEMORY', 'CUDA_ERROR_NOT_READY', 'CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR',
  'CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR', 'CU_STREAM_NON_BLOCKING', 'CU_EVENT_DEFAULT', 'CU_EVENT_DISABLE_TIMING',
  'CU_EVENT_RECORD_EXTERNAL',
  'CU_STREAM_CAPTURE_MODE_THREAD_LOCAL', 'CU_MEMPOOL_ATTR_RELEASE_THRESHOLD',
];

describe.skipIf(!cudaInclude)(`the addon's driver constants match cuda.h${cudaInclude ? '' : ' (skipped: no cuda.h)'}`, () => {
  it(`${SAME.length} constants`, async () => {
    const file = join(dir, 'abi.cc');
    writeFileSync(file, [
      '#include <cuda.h>',
      `#include "${join(nativeDir, 'cuda_api.h')}"`,
      ...SAME.map((c) => `static_assert(static_cast<long long>(sg::${c}) == static_cast<long long>(::${c}), "${c}");`),
      '',
    ].join('\n'));
    const r = await run('c++', ['-std=c++17', '-fsyntax-only', `-I${cudaInclude}`, file]);
    expect(r.code, r.out).toBe(0);
  });
});
