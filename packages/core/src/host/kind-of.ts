import { NDArray } from './ndarray.js';

/**
 * What a value is, in words for an error message about an argument of the wrong kind:
 * `'null'`, `'undefined'`, `'an NDArray'`, `'an array'`, `'a number'`, `'an object'`, …
 *
 * @example
 * ```ts
 * if (!(x instanceof Variable)) throw new TypeError(`loss: x must be a symbolic variable, got ${kindOf(x)}`);
 * kindOf([1, 2]); // 'an array'
 * ```
 */
export function kindOf(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (x instanceof NDArray) return 'an NDArray';
  if (Array.isArray(x)) return 'an array';
  const t = typeof x;
  return `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`;
}
