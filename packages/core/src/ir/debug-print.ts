import { topoSort } from './graph.js';
import { propsKey } from './op.js';
import { formatType } from './type.js';
import type { Apply, Variable } from './variable.js';

function propsText(node: Apply): string {
  const key = propsKey(node.props as object);
  return key === '{}' ? '' : ` ${key}`;
}

/**
 * The graph as Theano's debugprint shows it: one line per node, inputs indented below,
 * a node seen before printed once and referenced by its id afterwards.
 *
 * @example
 * ```ts
 * console.log(debugPrint(loss));
 * // mean … ← sum {"axes":[0],"keepdims":false} id 12 float32[]
 * ```
 */
export function debugPrint(outputs: Variable | readonly Variable[]): string {
  const roots = Array.isArray(outputs) ? outputs : [outputs as Variable];
  const lines: string[] = [];
  const printed = new Set<Apply>();
  const visit = (v: Variable, depth: number): void => {
    const pad = ' |'.repeat(depth);
    const name = v.name !== undefined ? ` '${v.name}'` : '';
    if (!v.owner) {
      lines.push(`${pad}${v.kind}${name} id ${v.id} ${formatType(v.type)}`);
      return;
    }
    const node = v.owner;
    const out = node.outputs.length > 1 ? `.${v.outputIndex}` : '';
    if (printed.has(node)) {
      lines.push(`${pad}${node.op}${out}${name} id ${v.id} ${formatType(v.type)} (see above)`);
      return;
    }
    printed.add(node);
    lines.push(`${pad}${node.op}${propsText(node)}${out}${name} id ${v.id} ${formatType(v.type)}`);
    for (const x of node.inputs) visit(x, depth + 1);
  };
  roots.forEach((r) => visit(r, 0));
  return lines.join('\n');
}

/** Escapes a label for a quoted GraphViz string. */
function dotLabel(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * GraphViz source of the graph: variables as ellipses, ops as boxes.
 *
 * @example
 * ```ts
 * writeFileSync('graph.dot', toDot(loss));
 * ```
 */
export function toDot(outputs: Variable | readonly Variable[]): string {
  const roots = Array.isArray(outputs) ? outputs : [outputs as Variable];
  const lines = ['digraph symgrad {', '  rankdir=TB;'];
  const vars = new Set<Variable>();
  const addVar = (v: Variable): void => {
    if (vars.has(v)) return;
    vars.add(v);
    const label = `${v.name ?? (v.owner ? '' : v.kind)} ${formatType(v.type)}`.trim();
    lines.push(`  v${v.id} [shape=ellipse, label=${dotLabel(label)}];`);
  };
  topoSort(roots).forEach((node, i) => {
    lines.push(`  n${i} [shape=box, label=${dotLabel(`${node.op}${propsText(node)}`)}];`);
    node.inputs.forEach((x) => { addVar(x); lines.push(`  v${x.id} -> n${i};`); });
    node.outputs.forEach((o) => { addVar(o); lines.push(`  n${i} -> v${o.id};`); });
  });
  roots.forEach(addVar);
  lines.push('}');
  return lines.join('\n');
}
