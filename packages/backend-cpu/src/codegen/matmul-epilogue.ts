import type { DType, ScalarExpr, TypedArray } from '@symgrad/core';
import { storeJs } from './elementwise.js';
import { compileCached } from './function-cache.js';
import { renderScalarExprs, roundJs } from './render-js.js';

/**
 * Writes a float64 block of a matmul's product into its output view:
 * out = epilogue(alpha·acc + beta·out, epilogue inputs…), rounded as the output stores it.
 * With beta = 0 the old output is never read (garbage and NaN in it are ignored).
 *
 * `g` holds, for the output and then each epilogue input: the offset of the block's first
 * element, the row stride and the column stride.
 */
export type MatmulWriteout = (
  acc: Float64Array, ldc: number, rows: number, cols: number, alpha: number, beta: number,
  data: readonly TypedArray[], ids: Int32Array, g: Int32Array,
) => void;

export interface WriteoutSpec {
  /** The matmul's dtype: the epilogue's input(0) is the product rounded to it. */
  readonly dtype: DType;
  /** Storage dtypes of the output and of each epilogue input. */
  readonly storage: readonly DType[];
  readonly betaZero: boolean;
  readonly epilogue?: ScalarExpr;
  /**
   * The output already holds alpha·A·B + beta·out (the native GEMM wrote it): read the
   * product from the output itself and only apply the epilogue; acc, alpha and beta are unused.
   */
  readonly inPlace?: boolean;
}

/** The source of a writeout loop; identical specs share one generated function. */
export function writeoutSource(spec: WriteoutSpec): string {
  const nEpi = spec.storage.length - 1;
  const views = Array.from({ length: nEpi + 1 }, (_, v) => v);
  const arrays = views.map((v) => `A${v} = data[ids[${v}]]`).join(', ');
  const decl = views.map((v) => `r${v} = g[${3 * v}]`).join(', ');
  const steps = views.map((v) => `rs${v} = g[${3 * v + 1}], cs${v} = g[${3 * v + 2}]`).join(', ');
  const inner = views.map((v) => `q${v} = r${v}`).join(', ');
  let body = spec.inPlace ? 'const v = A0[q0];\n' : `const v = alpha * acc[a] + ${spec.betaZero ? '0' : `beta * A0[q0]`};\n`;
  let value = 'v';
  let dtype: DType = 'float64';
  if (spec.epilogue) {
    body += `const red = ${roundJs(spec.dtype, 'v')};\n`;
    const r = renderScalarExprs([spec.epilogue], {
      inputCount: nEpi + 1,
      load: (i) => (i === 0 ? 'red' : `A${i}[q${i}]`),
      storage: (i) => (i === 0 ? spec.dtype : spec.storage[i]),
    });
    body += r.code;
    value = r.results[0]!;
    dtype = spec.epilogue.dtype;
  }
  body += `A0[q0] = ${storeJs(spec.storage[0]!, dtype, value)};\n`;
  body += `a++;\n${views.map((v) => `q${v} += cs${v};\n`).join('')}`;
  return `return function writeout(acc, ldc, rows, cols, alpha, beta, data, ids, g) {
const ${arrays};
const ${steps};
let ${decl}, a0 = 0;
for (let i = 0; i < rows; i++) {
let a = a0, ${inner};
for (let j = 0; j < cols; j++) {
${body}}
a0 += ldc;
${views.map((v) => `r${v} += rs${v};\n`).join('')}}
};`;
}

export function compileWriteout(spec: WriteoutSpec): MatmulWriteout {
  return compileCached<MatmulWriteout>(writeoutSource(spec));
}
