import { apply1, GraphError } from '../ir/graph.js';
import type { Variable } from '../ir/variable.js';
import { movement } from './movement.js';
import { asVariables, type Operand } from './operand.js';

/**
 * Matrix products.
 *
 * @example
 * ```ts
 * const h = T.dot(x, w);            // [n, k] · [k, m] → [n, m]
 * const y = T.matmul(a, b);         // batched over leading axes
 * const z = T.matmul(a, b, { transB: true });
 * ```
 */
export const linalg = {
  /**
   * NumPy's dot for rank ≤ 2: vector·vector → scalar, matrix·vector → vector,
   * vector·matrix → vector, matrix·matrix → matrix. Higher ranks use `matmul`.
   */
  dot(a: Operand, b: Operand): Variable {
    const [x, y] = asVariables('dot', [a, b]);
    if (x!.ndim > 2 || y!.ndim > 2) return linalg.matmul(x!, y!);
    if (x!.ndim === 0 || y!.ndim === 0) {
      throw new GraphError(`dot: operands must be vectors or matrices, got ${x!.describe()} and ${y!.describe()} (use T.mul for scalars)`);
    }
    const a2 = x!.ndim === 1 ? movement.reshape(x!, [1, -1]) : x!;
    const b2 = y!.ndim === 1 ? movement.reshape(y!, [-1, 1]) : y!;
    const r = apply1('matmul', { transA: false, transB: false }, [a2, b2]);
    if (x!.ndim === 2 && y!.ndim === 2) return r;
    if (x!.ndim === 1 && y!.ndim === 1) return movement.reshape(r, []);
    return movement.reshape(r, [-1]);
  },
  /** Batched matrix product over the last two axes (leading axes broadcast), with optional transposes. */
  matmul(a: Operand, b: Operand, opts: { transA?: boolean; transB?: boolean } = {}): Variable {
    const [x, y] = asVariables('matmul', [a, b]);
    return apply1('matmul', { transA: opts.transA ?? false, transB: opts.transB ?? false }, [x!, y!]);
  },
};
