/**
 * Strided loop nests for generated kernels. A kernel's iteration space is a shape and a
 * set of views (offset + strides over that shape). Generated code walks it with one
 * nested `for` per dim and one running pointer per view and level (an odometer: the
 * innermost loop only adds strides, nothing divides). Shapes, offsets and strides are
 * read from an Int32Array at run time, so kernels that differ only in geometry share code.
 */

/** Offsets and strides of one view over an iteration shape. */
export interface StridedView {
  readonly offset: number;
  readonly strides: readonly number[];
}

export interface Geometry {
  readonly shape: readonly number[];
  readonly views: readonly StridedView[];
}

/**
 * Drops size-1 dims and merges neighbouring dims that every view walks contiguously, so the
 * innermost loop is as long as possible. `group[d]` (optional) keeps dims of different
 * groups (kept vs reduced) apart. Returns the simplified geometry and, per new dim, its group.
 */
export function simplifyGeometry(g: Geometry, group?: readonly number[]): Geometry & { readonly groups: readonly number[] } {
  const dims: number[] = [];
  for (let d = 0; d < g.shape.length; d++) if (g.shape[d] !== 1) dims.push(d);
  const shape: number[] = [];
  const groups: number[] = [];
  const strides: number[][] = g.views.map(() => []);
  for (const d of dims) {
    const last = shape.length - 1;
    const n = g.shape[d]!;
    const mergeable = last >= 0 && (group === undefined || groups[last] === group[d]) &&
      g.views.every((v, i) => strides[i]![last] === v.strides[d]! * n);
    if (mergeable) {
      shape[last]! *= n;
      g.views.forEach((v, i) => { strides[i]![last] = v.strides[d]!; });
    } else {
      shape.push(n);
      groups.push(group?.[d] ?? 0);
      g.views.forEach((v, i) => strides[i]!.push(v.strides[d]!));
    }
  }
  return { shape, views: g.views.map((v, i) => ({ offset: v.offset, strides: strides[i]! })), groups };
}

/** Packs a geometry as [shape..., then per view: offset, strides...]. */
export function packGeometry(g: Geometry): Int32Array {
  const rank = g.shape.length;
  const out = new Int32Array(rank + g.views.length * (rank + 1));
  g.shape.forEach((n, d) => { out[d] = n; });
  g.views.forEach((v, i) => {
    const base = rank + i * (rank + 1);
    out[base] = v.offset;
    v.strides.forEach((s, d) => { out[base + 1 + d] = s; });
  });
  return out;
}

/** Declarations reading a packed geometry `g` of this rank: sizes `n{d}`, offsets `o{v}`, strides `s{v}_{d}`. */
export function geometryPrelude(rank: number, views: number): string {
  const lines: string[] = [];
  for (let d = 0; d < rank; d++) lines.push(`const n${d} = g[${d}];`);
  for (let v = 0; v < views; v++) {
    const base = rank + v * (rank + 1);
    lines.push(`const o${v} = g[${base}];`);
    for (let d = 0; d < rank; d++) lines.push(`const s${v}_${d} = g[${base + 1 + d}];`);
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** How a view moves along a nest's innermost dim: not at all, by one element, or by any stride. */
export type StrideClass = 'zero' | 'unit' | 'any';

/** The class of a stride, for specializing innermost loops. */
export function strideClass(stride: number): StrideClass {
  return stride === 0 ? 'zero' : stride === 1 ? 'unit' : 'any';
}

export interface NestSpec {
  /** Prefix of the pointer and index variables of this nest (distinct for nested nests). */
  readonly prefix: string;
  /** Geometry dims to loop over, outermost first. */
  readonly dims: readonly number[];
  /** Geometry views whose pointers this nest advances. */
  readonly views: readonly number[];
  /** The starting pointer of each view (an identifier or expression). */
  readonly start: (view: number) => string;
  /**
   * How each view moves along the innermost dim (default 'any'): a 'zero' view's pointer
   * stays put and a 'unit' view is addressed as pointer + loop index, so the innermost loop
   * only increments the pointers of views with other strides. Part of the generated code,
   * hence of its cache key.
   */
  readonly inner?: (view: number) => StrideClass;
  /** The innermost body, given each view's current pointer and each level's loop index. */
  readonly body: (ptr: (view: number) => string, index: (level: number) => string) => string;
}

/**
 * A loop nest over `dims`, one running pointer per view and level.
 *
 * @example
 * ```ts
 * emitNest({ prefix: 'p', dims: [0, 1], views: [0], start: (v) => `o${v}`, body: (p) => `sum += X[${p(0)}];\n` });
 * ```
 */
export function emitNest(spec: NestSpec): string {
  const { prefix: p, dims, views } = spec;
  const ptr = (level: number) => (v: number) => `${p}${v}_${level}`;
  const idx = (level: number) => `${p}i${level}`;
  const last = dims.length - 1;
  const cls = (v: number): StrideClass => spec.inner?.(v) ?? 'any';
  let code = views.length ? `let ${views.map((v) => `${ptr(0)(v)} = ${spec.start(v)}`).join(', ')};\n` : '';
  const open: string[] = [];
  const close: string[] = [];
  dims.forEach((d, level) => {
    const here = ptr(level);
    const next = ptr(level + 1);
    let head = `for (let ${idx(level)} = 0; ${idx(level)} < n${d}; ${idx(level)}++) {\n`;
    if (level < last && views.length) head += `let ${views.map((v) => `${next(v)} = ${here(v)}`).join(', ')};\n`;
    open.push(head);
    const moving = level === last ? views.filter((v) => cls(v) === 'any') : views;
    close.unshift(`${moving.map((v) => `${here(v)} += s${v}_${d};\n`).join('')}}\n`);
  });
  const innermost = ptr(Math.max(last, 0));
  const at = last < 0 ? innermost : (v: number) => (cls(v) === 'unit' ? `${innermost(v)} + ${idx(last)}` : innermost(v));
  code += open.join('') + spec.body(at, idx) + close.join('');
  return code;
}
