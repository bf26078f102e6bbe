import type { GatherKernel, OneHotKernel, ScatterAddKernel, SoftmaxCrossEntropyKernel, SoftmaxKernel, TakeKernel, TypedArray } from '@symgrad/core';
import type { NativeCpuAddon } from '../native.js';
import type { KernelStep } from './kernel-step.js';
import { NATIVE_MAX_RANK, nativeGeometry, type NativeCompiled } from './native-elementwise.js';

/**
 * The specials on the addon (native/specials.cc). Each kernel must already have been checked
 * by its TypeScript compiler (specials.ts), which stays the fallback; these only pack views.
 */

export function compileNativeSoftmaxCrossEntropy(k: SoftmaxCrossEntropyKernel, native: NativeCpuAddon): NativeCompiled {
  const [rows, classes] = k.logits.shape as [number, number];
  const grad = k.grad;
  const geometry = Int32Array.from([
    rows, classes, k.logits.offset, ...k.logits.strides, k.labels.offset, k.labels.strides[0]!, k.loss.offset, k.loss.strides[0]!,
    grad?.output.offset ?? 0, ...(grad?.output.strides ?? [0, 0]), grad?.scale.offset ?? 0, grad?.scale.strides[0] ?? 0,
  ]);
  const step: KernelStep = (data) => {
    native.softmaxCrossEntropy(
      data[k.logits.buffer]!, data[k.labels.buffer]!, data[k.loss.buffer]!,
      grad ? data[grad.output.buffer]! : null, grad ? data[grad.scale.buffer]! : null, geometry,
    );
  };
  return { step };
}

export function compileNativeGather(k: GatherKernel, native: NativeCpuAddon): NativeCompiled {
  const geometry = Int32Array.from([
    ...k.input.shape, k.input.offset, ...k.input.strides, k.indices.offset, k.indices.strides[0]!, k.output.offset, k.output.strides[0]!,
  ]);
  return { step: (data) => native.gather(data[k.input.buffer]!, data[k.indices.buffer]!, data[k.output.buffer]!, geometry) };
}

export function compileNativeTake(k: TakeKernel, native: NativeCpuAddon): NativeCompiled {
  const geometry = Int32Array.from([...k.input.shape, k.indices.shape[0]!, k.input.offset, ...k.input.strides, k.indices.offset, k.indices.strides[0]!, k.output.offset, ...k.output.strides]);
  return { step: (data) => native.take(data[k.input.buffer]!, data[k.indices.buffer]!, data[k.output.buffer]!, geometry, k.fill) };
}

export function compileNativeScatterAdd(k: ScatterAddKernel, native: NativeCpuAddon): NativeCompiled {
  const geometry = Int32Array.from([...k.output.shape, k.indices.shape[0]!, k.output.offset, ...k.output.strides, k.indices.offset, k.indices.strides[0]!, k.updates.offset, ...k.updates.strides]);
  return { step: (data) => native.scatterAdd(data[k.updates.buffer]!, data[k.indices.buffer]!, data[k.output.buffer]!, geometry) };
}

export function compileNativeOneHot(k: OneHotKernel, native: NativeCpuAddon): NativeCompiled {
  const rank = k.indices.shape.length;
  if (rank + 1 > NATIVE_MAX_RANK) return { fallback: `rank ${rank + 1} (the addon takes ${NATIVE_MAX_RANK})` };
  const shape = [...k.indices.shape, k.depth];
  const geometry = nativeGeometry({
    shape,
    views: [{ offset: k.indices.offset, strides: [...k.indices.strides, 0] }, { offset: k.output.offset, strides: k.output.strides }],
  });
  const ids = [k.indices.buffer, k.output.buffer] as const;
  return { step: (data) => native.oneHot(data[ids[0]]! as TypedArray, data[ids[1]]!, geometry) };
}

export function compileNativeSoftmax(k: SoftmaxKernel, native: NativeCpuAddon): NativeCompiled {
  const geometry = Int32Array.from([...k.input.shape, k.input.offset, ...k.input.strides, k.output.offset, ...k.output.strides, k.log ? 1 : 0]);
  return { step: (data) => native.softmax(data[k.input.buffer]!, data[k.output.buffer]!, geometry) };
}
