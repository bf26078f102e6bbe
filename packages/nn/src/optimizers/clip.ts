/**
 * Gradient clipping by global norm (symbolic), as `torch.nn.utils.clip_grad_norm_` and
 * `optax.clip_by_global_norm`.
 */
import { T, type Variable } from '@symgrad/core';

/**
 * The global L2 norm √(Σᵢ ‖gᵢ‖²) of a list of tensors, as a float32 scalar.
 *
 * @example
 * ```ts
 * const norm = globalNorm(grad(loss, params));
 * ```
 */
export function globalNorm(tensors: readonly Variable[]): Variable {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new TypeError('globalNorm: needs a non-empty list of tensors');
  let total: Variable | undefined;
  for (const g of tensors) {
    const s = T.sum(T.square(g.dtype === 'float32' ? g : T.cast(g, 'float32')));
    total = total ? T.add(total, s) : s;
  }
  return T.sqrt(total!);
}

/**
 * Scales every gradient by min(1, maxNorm / globalNorm(grads)), so their joint norm is at
 * most `maxNorm` and their direction is kept.
 *
 * @example
 * ```ts
 * const clipped = clipByGlobalNorm(grad(loss, params), 1.0);
 * ```
 */
export function clipByGlobalNorm(grads: readonly Variable[], maxNorm: number): Variable[] {
  if (typeof maxNorm !== 'number' || !Number.isFinite(maxNorm) || maxNorm <= 0) {
    throw new RangeError(`clipByGlobalNorm: maxNorm must be a finite number > 0, got ${String(maxNorm)}`);
  }
  const norm = globalNorm(grads);
  // maxNorm / max(norm, maxNorm) is min(1, maxNorm / norm) and never divides by zero.
  const scale = T.div(maxNorm, T.maximum(norm, maxNorm));
  return grads.map((g) => T.mul(g, g.dtype === 'float32' ? scale : T.cast(scale, g.dtype)));
}
