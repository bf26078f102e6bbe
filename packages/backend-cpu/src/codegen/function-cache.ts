/**
 * Generated kernels, compiled once per distinct source text: kernels that render to the
 * same code (same expressions, ranks and storage dtypes) share one function, so the engine
 * optimizes it once. The source never holds user text (see render-js), only numbers and
 * names from fixed tables.
 */

const MAX_ENTRIES = 1024;
const cache = new Map<string, unknown>();

/**
 * `new Function(source)()` for a source that returns the kernel function, memoized by source.
 *
 * @example
 * ```ts
 * const f = compileCached<(x: number) => number>('return function (x) { return x + 1; };');
 * ```
 */
export function compileCached<F>(source: string): F {
  const hit = cache.get(source);
  if (hit !== undefined) {
    // Refresh: the map's iteration order makes the oldest entry the first evicted.
    cache.delete(source);
    cache.set(source, hit);
    return hit as F;
  }
  const made = new Function(`"use strict";\n${source}`)() as F;
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(source, made);
  return made;
}

/** Number of distinct generated functions held (tests). */
export function compiledFunctionCount(): number {
  return cache.size;
}
