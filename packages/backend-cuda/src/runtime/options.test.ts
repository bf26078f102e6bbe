import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_OPTIONS, runOptionsFromEnv } from './options.js';

describe('runOptionsFromEnv', () => {
  it('defaults to cuBLASLt on up to four streams and reads both variables', () => {
    expect(DEFAULT_RUN_OPTIONS).toEqual({ gemm: 'cublasLt', streams: 4 });
    expect(runOptionsFromEnv({})).toEqual(DEFAULT_RUN_OPTIONS);
    expect(runOptionsFromEnv({ SYMGRAD_CUDA_GEMM: 'cublasLt', SYMGRAD_CUDA_STREAMS: '3' })).toEqual({ gemm: 'cublasLt', streams: 3 });
    expect(runOptionsFromEnv({ SYMGRAD_CUDA_GEMM: ' ', SYMGRAD_CUDA_STREAMS: '' })).toEqual(DEFAULT_RUN_OPTIONS);
  });

  it('names the variable and what it accepts when a value is wrong', () => {
    expect(() => runOptionsFromEnv({ SYMGRAD_CUDA_GEMM: 'lt' })).toThrow("SYMGRAD_CUDA_GEMM must be 'cublas' or 'cublasLt' (got 'lt')");
    for (const bad of ['0', '9', '1.5', 'two']) expect(() => runOptionsFromEnv({ SYMGRAD_CUDA_STREAMS: bad })).toThrow(`SYMGRAD_CUDA_STREAMS must be an integer from 1 to 8 (got '${bad}')`);
  });
});
