import { describe, expect, it } from 'vitest';
import { Apply, topoSort, Variable } from '../index.js';

describe('topoSort', () => {
  it('names the op of a node on a cycle (graphs built through T never have one)', () => {
    const inputs: Variable[] = [];
    const node = new Apply('neg', {}, inputs, 'model.ts:3:7');
    const out = new Variable({ dtype: 'float32', shape: [2] }, 'result', { owner: node });
    node.outputs = [out];
    inputs.push(out);
    expect(() => topoSort([out])).toThrow("topoSort: the graph has a cycle through a 'neg' node (built at model.ts:3:7)");
  });
});
