import { describe, expect, it } from 'vitest';
import { fn, shared, T } from '@symgrad/core';
import '../index.js';

describe('user strings never reach generated JavaScript', () => {
  it('names that try to break out of code are inert', async () => {
    const g = globalThis as { pwned?: number };
    const names = ["x'); globalThis.pwned = 1; ('", '*/ globalThis.pwned = 2; /*', '`${globalThis.pwned = 3}`', '\n globalThis.pwned = 4 //'];
    const [a, b, c, d] = names.map((n) => T.vector(n));
    const w = shared([1, 2], names[0]);
    const out = T.sum(T.softmax(T.relu(a!.mul(w).add(b!)).sub(c!.exp()).div(T.add(d!.square(), 1))));
    const f = fn([a!, b!, c!, d!], out, { backend: 'cpu', optimizer: 'O0' });
    const v = await f([1, 2], [3, 4], [0, 1], [1, 1]);
    expect(v.item()).toBeCloseTo(1, 5);
    expect(g.pwned).toBeUndefined();
    const fused = fn([a!, b!, c!, d!], out, { backend: 'cpu' });
    expect((await fused([1, 2], [3, 4], [0, 1], [1, 1])).item()).toBeCloseTo(1, 5);
    expect(g.pwned).toBeUndefined();
  });
});
