import type { DType } from '../../ir/dtype.js';
import type { OpName, OpProps } from '../../ir/op.js';
import type { LoweringContext } from '../context.js';
import type { View } from '../program.js';

/** A tensor type with every dimension known. */
export interface ConcreteType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** Lowers one Apply node: emits kernels and returns a view per output. */
export type LowerRule<N extends OpName> = (
  ctx: LoweringContext,
  args: { op: N; props: OpProps[N]; inputs: readonly View[]; inTypes: readonly ConcreteType[]; outTypes: readonly ConcreteType[]; label: string },
) => View[];

export type LowerTable = { [N in OpName]?: LowerRule<N> };
