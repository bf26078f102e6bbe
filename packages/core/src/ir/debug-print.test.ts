import { describe, expect, it } from 'vitest';
import { debugPrint, shared, T, toDot, NDArray, cloneReplace } from '../index.js';

describe('graph utilities', () => {
  const x = T.matrix('x');
  const w = shared(NDArray.zeros([3, 2]), 'w');
  const h = T.relu(T.dot(x, w));
  const loss = T.mean(h);
  it('debugPrint shows each node once, inputs indented', () => {
    const text = debugPrint(loss);
    expect(text.split('\n')[0]).toMatch(/^div id \d+ float32\[\]$/);
    expect(text).toMatch(/ \| \| \|matmul \{"transA":false,"transB":false\} id \d+ float32\[\?, 2\]/);
    expect(text).toMatch(/input 'x' id \d+ float32\[\?, \?\]/);
    expect(text).toMatch(/shared 'w' id \d+ float32\[3, 2\]/);
    expect(text).toMatch(/relu id \d+ float32\[\?, 2\] \(see above\)/);
  });
  it('toDot escapes names', () => {
    const evil = T.vector('a"];\n}');
    const dot = toDot(evil.exp());
    expect(dot).toContain('label="a\\"];\\n} float32[?]"');
    expect(dot.startsWith('digraph symgrad {')).toBe(true);
  });
  it('cloneReplace rebuilds only what depends on the replaced variable', () => {
    const z = T.matrix('z');
    const [h2] = cloneReplace([h], new Map([[x, z]]));
    expect(h2!.owner!.inputs[0]!.owner!.inputs[0]).toBe(z);
    expect(() => cloneReplace([h], new Map([[x, T.vector('v')]]))).toThrow(/^replace: 'x' \(float32\[\?, \?\]\) cannot be replaced by 'v' \(float32\[\?\]\): dtype and rank must match/);
  });
});
