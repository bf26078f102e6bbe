import type { TypedArray } from '@symgrad/core';

/**
 * A counter per buffer array that changes whenever its contents may have changed: on
 * `write`, and at the start of every run of a Program that writes the buffer. A kernel may
 * keep something derived from a buffer it only reads (the native GEMM keeps weights packed)
 * and trust it while the version is unchanged. Keyed by the array, which lives exactly as
 * long as its buffer.
 */
const versions = new WeakMap<TypedArray, number>();

/** The array's current version (0 until it first changes). */
export function versionOf(data: TypedArray): number {
  return versions.get(data) ?? 0;
}

/** Marks the array's contents as changed. */
export function bumpVersion(data: TypedArray): void {
  versions.set(data, (versions.get(data) ?? 0) + 1);
}
