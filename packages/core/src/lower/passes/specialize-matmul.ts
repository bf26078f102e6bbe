import type { ScalarExpr } from '../../codegen/scalar-expr.js';
import { mapKernelViews } from '../program.js';
import { isTemp, isWhole, sameViewExact, usersOf, type ProgramDraft } from './draft.js';

/** c when `e` is acc·c or c·acc (acc = input 0), else undefined. */
function scaleOfAcc(e: ScalarExpr): number | undefined {
  if (e.op === 'input' && e.index === 0) return 1;
  if (e.op !== 'mul') return undefined;
  const [a, b] = e.args;
  if (a.op === 'input' && a.index === 0 && b.op === 'const') return b.value;
  if (b.op === 'input' && b.index === 0 && a.op === 'const') return a.value;
  return undefined;
}

/**
 * Matmul epilogues that are BLAS's own form become alpha and beta: `c·(A·B)` sets alpha;
 * `c·(A·B) + C`, with C a temporary that dies here and has the result's layout, accumulates
 * into C's buffer (beta = 1) instead of reading it in an epilogue.
 */
export function specializeMatmul(d: ProgramDraft): boolean {
  let any = false;
  d.kernels.forEach((k, i) => {
    if (k?.kind !== 'matmul' || !k.epilogue || k.beta !== 0) return;
    const e = k.epilogue.expr;
    const alpha = scaleOfAcc(e);
    if (alpha !== undefined) {
      const { epilogue: _, ...rest } = k;
      d.kernels[i] = { ...rest, alpha: k.alpha * alpha, label: `${k.label}+alpha` };
      any = true;
      return;
    }
    if (e.op !== 'add' || k.epilogue.inputs.length !== 1) return;
    const [x, y] = e.args;
    const [accPart, cPart] = x.op === 'input' && x.index === 1 ? [y, x] : [x, y];
    const scale = scaleOfAcc(accPart);
    if (scale === undefined || cPart.op !== 'input' || cPart.index !== 1) return;
    const c = k.epilogue.inputs[0]!;
    if (!isTemp(d, c.buffer) || !isWhole(d, c) || !sameViewExact({ ...c, buffer: k.out.buffer }, k.out)) return;
    const { readers } = usersOf(d, c.buffer);
    if (readers.some((r) => r > i)) return;
    // C's buffer now receives the result; the kernel's old output buffer is no longer written.
    const { readers: outReaders } = usersOf(d, k.out.buffer);
    if (!isTemp(d, k.out.buffer) || outReaders.some((r) => r < i)) return;
    const oldOut = k.out.buffer;
    const { epilogue: _, ...rest } = k;
    d.kernels[i] = { ...rest, out: c, alpha: k.alpha * scale, beta: 1, label: `${k.label}+beta` };
    d.kernels.forEach((other, j) => {
      if (!other || j === i) return;
      // Later readers of the old output read C's buffer, which now holds the result.
      d.kernels[j] = mapKernelViews(other, (v) => (v.buffer === oldOut ? { ...v, buffer: c.buffer } : v));
    });
    any = true;
  });
  return any;
}
