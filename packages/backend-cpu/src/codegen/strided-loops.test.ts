import { describe, expect, it } from 'vitest';
import { emitNest, geometryPrelude, packGeometry, simplifyGeometry, strideClass } from './strided-loops.js';

describe('simplifyGeometry', () => {
  it('drops size-1 dims and merges dims every view walks contiguously', () => {
    const g = simplifyGeometry({ shape: [2, 1, 3, 4], views: [{ offset: 5, strides: [12, 99, 4, 1] }, { offset: 0, strides: [0, 0, 0, 0] }] });
    expect(g.shape).toEqual([24]);
    expect(g.views).toEqual([{ offset: 5, strides: [1] }, { offset: 0, strides: [0] }]);
  });

  it('keeps dims apart where one view is not contiguous, or their groups differ', () => {
    const t = simplifyGeometry({ shape: [3, 4], views: [{ offset: 0, strides: [4, 1] }, { offset: 0, strides: [1, 3] }] });
    expect(t.shape).toEqual([3, 4]);
    const grouped = simplifyGeometry({ shape: [3, 4, 5], views: [{ offset: 0, strides: [20, 5, 1] }] }, [0, 1, 1]);
    expect(grouped.shape).toEqual([3, 20]);
    expect(grouped.groups).toEqual([0, 1]);
  });

  it('packs shape, then offset and strides per view', () => {
    expect(Array.from(packGeometry({ shape: [2, 3], views: [{ offset: 7, strides: [3, 1] }] }))).toEqual([2, 3, 7, 3, 1]);
    expect(geometryPrelude(1, 1)).toBe('const n0 = g[0];\nconst o0 = g[1];\nconst s0_0 = g[2];\n');
  });
});

describe('emitNest', () => {
  /** Runs a nest that records, per visit, each view's pointer. */
  function visits(shape: number[], views: { offset: number; strides: number[] }[], inner?: ('zero' | 'unit' | 'any')[]): number[][] {
    const code = geometryPrelude(shape.length, views.length) + emitNest({
      prefix: 'p', dims: shape.map((_, d) => d), views: views.map((_, v) => v), start: (v) => `o${v}`,
      ...(inner ? { inner: (v: number) => inner[v]! } : {}),
      body: (ptr) => `out.push([${views.map((_, v) => ptr(v)).join(', ')}]);\n`,
    });
    const out: number[][] = [];
    new Function('g', 'out', code)(packGeometry({ shape, views }), out);
    return out;
  }

  it('walks row-major order with each view’s strides, specialized or not', () => {
    const views = [{ offset: 1, strides: [10, 1] }, { offset: 0, strides: [1, 0] }, { offset: 2, strides: [0, 3] }];
    const want = [[1, 0, 2], [2, 0, 5], [3, 0, 8], [11, 1, 2], [12, 1, 5], [13, 1, 8]];
    expect(visits([2, 3], views)).toEqual(want);
    expect(visits([2, 3], views, views.map((v) => strideClass(v.strides[1]!)))).toEqual(want);
  });

  it('visits a rank-0 geometry once and an empty one never', () => {
    expect(visits([], [{ offset: 4, strides: [] }])).toEqual([[4]]);
    expect(visits([3, 0], [{ offset: 0, strides: [0, 1] }])).toEqual([]);
  });
});
