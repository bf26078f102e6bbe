import { formatScalarExpr } from '../codegen/scalar-expr.js';
import type { Kernel, Program, View } from './program.js';

function view(v: View): string {
  return `b${v.buffer}[${v.shape.join('x')}${v.offset ? ` +${v.offset}` : ''} s(${v.strides.join(',')})]`;
}

function kernel(k: Kernel): string {
  switch (k.kind) {
    case 'elementwise': return `elementwise ${k.shape.join('x')}: ${k.outputs.map(view).join(', ')} = ${k.exprs.map(formatScalarExpr).join('; ')} over ${k.inputs.map(view).join(', ')}`;
    case 'reduce': return `reduce ${k.op} axes [${k.axes.join(',')}] of ${formatScalarExpr(k.prologue)} over ${k.inputs.map(view).join(', ')} → ${view(k.output)}${k.epilogue ? ` then ${formatScalarExpr(k.epilogue)}` : ''}`;
    case 'matmul': return `matmul ${[...k.batch, k.m].join('x')}x${k.n}x${k.k} ${view(k.a)}${k.transA ? 'ᵀ' : ''} · ${view(k.b)}${k.transB ? 'ᵀ' : ''} → ${view(k.out)}${k.alpha !== 1 ? ` α=${k.alpha}` : ''}${k.beta !== 0 ? ` β=${k.beta}` : ''}`;
    case 'gather': return `gather ${view(k.input)} at ${view(k.indices)} → ${view(k.output)}`;
    case 'take': return `take ${view(k.input)} at ${view(k.indices)} → ${view(k.output)}${Number.isNaN(k.fill) ? '' : ` fill ${k.fill}`}`;
    case 'scatterAdd': return `scatterAdd ${view(k.updates)} at ${view(k.indices)} into ${view(k.output)}`;
    case 'oneHot': return `oneHot ${view(k.indices)} depth ${k.depth} → ${view(k.output)}`;
    case 'softmaxCrossEntropy': return `softmaxCrossEntropy ${view(k.logits)} labels ${view(k.labels)} → ${view(k.loss)}${k.grad ? `, grad ${view(k.grad.output)}` : ''}`;
    case 'softmax': return `${k.log ? 'logSoftmax' : 'softmax'} rows of ${view(k.input)} → ${view(k.output)}`;
    case 'random': return `random ${k.distribution} ${k.dtype} from ${view(k.state)} → ${view(k.output)}${k.next ? `, next ${view(k.next)}` : ''}`;
  }
}

/**
 * A printable listing of a Program: buffers, then one line per kernel with its source ops.
 *
 * @example
 * ```ts
 * console.log(formatProgram(train.program!));
 * ```
 */
export function formatProgram(p: Program): string {
  const bufs = p.buffers.map((b) => `  b${b.id}: ${b.role} ${b.dtype}[${b.size}]`);
  const ks = p.kernels.map((k, i) => `  #${i} [${k.label}] ${kernel(k)}`);
  return [`buffers (${p.buffers.length}):`, ...bufs, `kernels (${p.kernels.length}):`, ...ks].join('\n');
}
