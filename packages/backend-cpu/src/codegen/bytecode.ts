import { checkedScalarExprNodes, roundTo, type DType, type ScalarExpr } from '@symgrad/core';
import { fitsIn, needsRounding } from './render-js.js';

/**
 * Compiles a ScalarExpr DAG once, at executable compile time, into the register-machine
 * bytecode the native addon runs (native/bytecode.h). Each node becomes one instruction
 * writing its own register (a block of doubles in the addon); registers are reused once
 * their last reader has run, so a large fused kernel still needs few of them. Rounding to
 * each node's dtype follows render-js exactly (same `fitsIn` and `needsRounding`), so the
 * native and TypeScript paths compute the same values.
 *
 * Layout of `code`: [registers, instructions, results, then 6 words per instruction
 * (op, round, dst, a, b, c), then the result registers]. A load's `a` is the input index, a
 * constant's `a` indexes `consts`.
 */

/** Opcodes in the addon's order (native/bytecode.h SYMGRAD_OPCODES; the loader checks they agree). */
export const OPCODES = [
  'load', 'constant', 'neg', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'square', 'abs', 'sign',
  'tanh', 'sigmoid', 'relu', 'add', 'sub', 'mul', 'div', 'pow', 'minimum', 'maximum', 'lt', 'le', 'gt',
  'ge', 'eq', 'ne', 'where', 'cast',
] as const;

const OPCODE = new Map<string, number>(OPCODES.map((op, i) => [op, i]));

/** The addon's rounding codes: none, float32, int32, bool. */
export function roundCode(dtype: DType): number {
  switch (dtype) {
    case 'float64': return 0;
    case 'float32': return 1;
    case 'int32': return 2;
    case 'bool': return 3;
  }
}

export interface Bytecode {
  readonly code: Int32Array;
  readonly consts: Float64Array;
}

const WORDS = 6;

/**
 * Compiles expressions (sharing nodes between them) over `inputCount` inputs. `storage(k)`
 * is the dtype input k is stored in, when known (a load that already fits is not rounded).
 * Malformed expressions throw as render-js does, prefixed with `who`.
 *
 * @example
 * ```ts
 * const bc = compileBytecode([sx.unary('exp', sx.input(0, 'float32'))], 1, () => 'float32');
 * // bc.code: [2, 2, 1,  0,0,0,0,0,0,  3,1,1,0,0,0,  1]: load r0 ← in0; r1 ← fround(exp(r0)); result r1
 * ```
 */
export function compileBytecode(
  roots: readonly ScalarExpr[], inputCount: number, storage: (index: number) => DType | undefined = () => undefined, who = 'bytecode',
): Bytecode {
  const nodes = checkedScalarExprNodes(roots, inputCount, who);
  const position = new Map<ScalarExpr, number>(nodes.map((e, i) => [e, i]));
  // The last instruction reading each node; roots stay live to the end.
  const lastUse = new Array<number>(nodes.length).fill(-1);
  nodes.forEach((e, i) => {
    if ('args' in e) for (const a of e.args) lastUse[position.get(a)!] = i;
  });
  for (const r of roots) lastUse[position.get(r)!] = nodes.length;
  const free: number[] = [];
  let registers = 0;
  const reg = new Array<number>(nodes.length);
  const words: number[] = [];
  const consts: number[] = [];
  nodes.forEach((e, i) => {
    // The destination is taken before the arguments are released: an instruction never
    // writes a register it reads (the addon's loops assume no aliasing).
    const dst = free.pop() ?? registers++;
    reg[i] = dst;
    if (e.op === 'input') {
      const stored = storage(e.index);
      words.push(OPCODE.get('load')!, stored !== undefined && fitsIn(stored, e.dtype) ? 0 : roundCode(e.dtype), dst, e.index, 0, 0);
    } else if (e.op === 'const') {
      consts.push(roundTo(e.dtype, e.value));
      words.push(OPCODE.get('constant')!, 0, dst, consts.length - 1, 0, 0);
    } else {
      const op = OPCODE.get(e.op);
      if (op === undefined) throw new Error(`${who}: op '${e.op}' has no native bytecode`);
      const args = e.args.map((a) => reg[position.get(a)!]!);
      words.push(op, needsRounding(e) ? roundCode(e.dtype) : 0, dst, args[0] ?? 0, args[1] ?? 0, args[2] ?? 0);
      for (const a of new Set(e.args)) {
        const p = position.get(a)!;
        if (lastUse[p] === i) free.push(reg[p]!);
      }
    }
  });
  const results = roots.map((r) => reg[position.get(r)!]!);
  const count = words.length / WORDS;
  const code = Int32Array.from([Math.max(registers, 1), count, results.length, ...words, ...results]);
  return { code, consts: Float64Array.from(consts) };
}
