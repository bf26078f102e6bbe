import type { DType, ReduceKernel, TypedArray } from '@symgrad/core';
import { compileBytecode, roundCode } from '../codegen/bytecode.js';
import type { NativeCpuAddon } from '../native.js';
import type { BufferTable } from './kernel-step.js';
import { NATIVE_MAX_RANK, NATIVE_MAX_VIEWS, nativeGeometry, type NativeCompiled } from './native-elementwise.js';
import { planReduce } from './reduce.js';

const OP_CODE = { sum: 0, max: 1, min: 2, argmax: 3 } as const;

/**
 * A reduce kernel on the addon (native/reduce.cc): the prologue and the epilogue run as
 * bytecode, the accumulation order per output is the TypeScript path's (so are the
 * results, up to libm's last bit).
 */
export function compileNativeReduce(k: ReduceKernel, buffers: BufferTable, native: NativeCpuAddon): NativeCompiled {
  const { geo, kept, storage } = planReduce(k, buffers);
  if (k.inputs.length + 1 > NATIVE_MAX_VIEWS) return { fallback: `${k.inputs.length} inputs (the addon takes ${NATIVE_MAX_VIEWS - 1})` };
  if (geo.shape.length > NATIVE_MAX_RANK) return { fallback: `rank ${geo.shape.length} after merging dims (the addon takes ${NATIVE_MAX_RANK})` };
  const nIn = k.inputs.length;
  const accDtype: DType = k.op === 'argmax' ? 'int32' : k.prologue.dtype;
  const prologue = compileBytecode([k.prologue], nIn, (i) => storage[i], 'native reduce prologue');
  const epilogue = k.epilogue ? compileBytecode([k.epilogue], 1, () => accDtype, 'native reduce epilogue') : undefined;
  const geometry = nativeGeometry(geo);
  const ids = [...k.inputs, k.output].map((v) => v.buffer);
  const arrays: TypedArray[] = ids.map(() => new Float64Array(0));
  const op = OP_CODE[k.op];
  const accRound = roundCode(accDtype);
  const noConsts = new Float64Array(0);
  return {
    step: (data) => {
      for (let v = 0; v < ids.length; v++) arrays[v] = data[ids[v]!]!;
      native.reduce(op, accRound, prologue.code, prologue.consts, epilogue?.code ?? null, epilogue?.consts ?? noConsts, geometry, kept.length, arrays);
    },
  };
}
