import type { View } from '@symgrad/core';

/**
 * Index arithmetic for strided views, with every shape, stride and offset compiled in as a
 * number literal. 32-bit indices where every offset fits, 64-bit otherwise.
 */

const INT_LIMIT = 2 ** 31 - 1;

function checkInt(what: string, v: number): number {
  if (!Number.isSafeInteger(v)) throw new Error(`render-cuda: ${what} ${String(v)} is not an integer`);
  return v;
}

/** Largest element offset a view can address (plus one), for choosing the index type. */
export function viewExtent(v: View): number {
  let hi = checkInt('view offset', v.offset);
  v.shape.forEach((d, i) => {
    checkInt('view dim', d);
    hi += Math.max(0, d - 1) * Math.abs(checkInt('view stride', v.strides[i]!));
  });
  return hi + 1;
}

/** 'int' when every count and offset fits in 31 bits, else 'long long'. */
export function indexType(count: number, views: readonly View[]): 'int' | 'long long' {
  const big = count > INT_LIMIT || views.some((v) => viewExtent(v) > INT_LIMIT);
  return big ? 'long long' : 'int';
}

/**
 * Declarations splitting linear index `linear` over `shape` (row-major) into `${prefix}0…`;
 * a dim of extent 1 is the literal 0.
 */
export function unravel(linear: string, shape: readonly number[], prefix: string, IT: string): { lines: string[]; dims: string[] } {
  const lines: string[] = [];
  const dims = shape.map((n) => (checkInt('dim', n), '0'));
  const live = shape.map((n, d) => [n, d] as const).filter(([n]) => n !== 1);
  if (live.length === 1) {
    const [, d] = live[0]!;
    dims[d] = `${prefix}${d}`;
    lines.push(`const ${IT} ${prefix}${d} = ${linear};`);
  } else if (live.length > 1) {
    const rest = `${prefix}r`;
    lines.push(`${IT} ${rest} = ${linear};`);
    for (let j = live.length - 1; j >= 0; j--) {
      const [n, d] = live[j]!;
      dims[d] = `${prefix}${d}`;
      lines.push(j === 0 ? `const ${IT} ${prefix}${d} = ${rest};` : `const ${IT} ${prefix}${d} = ${rest} % ${n}; ${rest} /= ${n};`);
    }
  }
  return { lines, dims };
}

/** `offset + Σ dims[d]·strides[d]` for a view, skipping zero strides and zero indices. */
export function offsetOf(v: View, dims: readonly string[]): string {
  const terms: string[] = [];
  if (checkInt('view offset', v.offset) !== 0) terms.push(`${v.offset}`);
  v.strides.forEach((s, d) => {
    checkInt('view stride', s);
    const i = dims[d];
    if (i === undefined) throw new Error(`render-cuda: a view of buffer ${v.buffer} with strides [${v.strides.join(', ')}] (rank ${v.strides.length}) indexed with ${dims.length} dims`);
    if (s === 0 || i === '0') return;
    // An index given as an expression (`kc + kq`) is multiplied as a whole.
    const x = /^[A-Za-z_]\w*$|^\d+$/.test(i) ? i : `(${i})`;
    terms.push(s === 1 ? x : s < 0 ? `${x} * (${s})` : `${x} * ${s}`);
  });
  return terms.length ? terms.join(' + ') : '0';
}

export const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);
