/**
 * Gradient of the batched matrix product. With A = op(a), B = op(b) (op transposes when the
 * flag is set) and Z = A·B: dA = G·Bᵀ, dB = Aᵀ·G, written with matmul's own transpose flags
 * so no transposes are materialized. Batch axes that broadcast are summed back to each
 * operand's shape.
 */
import { T } from '@symgrad/core';
import { reduceLike } from './helpers.js';
import type { GradientTable } from './types.js';

/** Built-in gradient rules and markers of matmul. */
export const linalgGradients: GradientTable = {
  matmul: (node, [g]) => {
    const [a, b] = node.inputs as [typeof node.inputs[0], typeof node.inputs[0]];
    const { transA, transB } = node.props;
    const ga = transA ? T.matmul(b!, g!, { transA: transB, transB: true }) : T.matmul(g!, b!, { transB: !transB });
    const gb = transB ? T.matmul(g!, a!, { transA: true, transB: transA }) : T.matmul(a!, g!, { transA: !transA });
    return [reduceLike(ga, a!), reduceLike(gb, b!)];
  },
};
