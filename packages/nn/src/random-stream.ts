/**
 * Stateful random streams on top of Philox-4x32-10 (see `philox.ts`), for the host-side
 * randomness of training: dropout masks, minibatch order and derived seeds.
 *
 * A stream is a key (from a seed) and a block counter. Each draw consumes whole blocks and
 * advances the counter, so step k of a training run always sees the same numbers for the
 * same seed, whatever happened before it in other streams.
 */
import { philox4x32, seedToKey } from './philox.js';

const INV_2_32 = 1 / 0x1_0000_0000;
const TWO_32 = 0x1_0000_0000;

/**
 * A seeded stream of uniform numbers whose position (the Philox block counter) advances with
 * each draw. `stream` separates independent streams under one seed (it is counter word 2).
 *
 * @example
 * ```ts
 * const rng = new PhiloxStream(42);
 * const u = new Float32Array(10);
 * rng.fillUniform(u);        // numbers in (0, 1); the counter moves on by 3 blocks
 * rng.position;              // 3
 * ```
 */
export class PhiloxStream {
  private readonly key: [number, number];
  private readonly stream: number;
  private counter = 0;
  private readonly block = new Uint32Array(4);
  private readonly ctr: [number, number, number, number] = [0, 0, 0, 0];

  constructor(seed: number, stream = 0) {
    this.key = seedToKey(seed, 'PhiloxStream');
    if (!Number.isInteger(stream) || stream < 0 || stream >= TWO_32) {
      throw new RangeError(`PhiloxStream: stream must be an integer in [0, 2^32), got ${stream}`);
    }
    this.stream = stream;
  }

  /** The number of blocks drawn so far (the next block's counter). */
  get position(): number {
    return this.counter;
  }

  set position(p: number) {
    if (!Number.isSafeInteger(p) || p < 0) throw new RangeError(`PhiloxStream: position must be a non-negative safe integer, got ${p}`);
    this.counter = p;
  }

  /** The next block of four uint32 words. */
  nextBlock(): Uint32Array {
    this.ctr[0] = this.counter % TWO_32;
    this.ctr[1] = Math.floor(this.counter / TWO_32);
    this.ctr[2] = this.stream;
    this.counter++;
    return philox4x32(this.ctr, this.key, this.block);
  }

  /** Fills `out` with uniform numbers in (0, 1), consuming ⌈n / 4⌉ blocks. */
  fillUniform(out: Float32Array | Float64Array): void {
    const n = out.length;
    for (let i = 0; i < n; i += 4) {
      const b = this.nextBlock();
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (b[j]! + 0.5) * INV_2_32;
    }
  }

  /** One uniform number in (0, 1) (consumes a block). */
  uniform(): number {
    return (this.nextBlock()[0]! + 0.5) * INV_2_32;
  }
}

/**
 * A seed derived from a parent seed and a path of small integers (a layer index, a purpose),
 * so each weight, each dropout layer and the batch order get independent streams from one
 * model seed. The result is a non-negative safe integer.
 *
 * @example
 * ```ts
 * deriveSeed(0, 3, 1); // the seed of layer 3's second stream under model seed 0
 * ```
 */
export function deriveSeed(seed: number, ...path: number[]): number {
  const key = seedToKey(seed, 'deriveSeed');
  const c: [number, number, number, number] = [0, 0, 0, 0];
  path.forEach((p, i) => {
    if (!Number.isInteger(p) || p < 0 || p >= TWO_32) throw new RangeError(`deriveSeed: path element ${i} must be an integer in [0, 2^32), got ${p}`);
  });
  // Fold the path into the counter two words at a time, chaining through the key.
  let k = key;
  for (let i = 0; i < Math.max(1, path.length); i += 2) {
    c[0] = path[i] ?? 0;
    c[1] = path[i + 1] ?? 0;
    c[2] = Math.min(path.length, TWO_32 - 1);
    c[3] = 0x5eed;
    const b = philox4x32(c, k);
    k = [b[0]!, b[1]!];
  }
  // 53 bits: 32 from one word, 21 from another.
  return (k[1] & 0x1fffff) * TWO_32 + k[0];
}

/**
 * A seeded permutation of 0 … n−1 (Fisher–Yates driven by Philox): the same seed gives the
 * same order everywhere.
 *
 * @example
 * ```ts
 * permutation(5, 1); // Int32Array of 0..4 in a seed-determined order
 * ```
 */
export function permutation(n: number, seed: number): Int32Array {
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) throw new RangeError(`permutation: n must be an integer in [0, 2^31), got ${n}`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  const rng = new PhiloxStream(seed, 1);
  let b = rng.nextBlock();
  let w = 0;
  for (let i = n - 1; i > 0; i--) {
    if (w === 4) { b = rng.nextBlock(); w = 0; }
    const j = Math.floor((b[w++]! * INV_2_32) * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
