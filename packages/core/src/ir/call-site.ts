/**
 * The first stack frame outside symgrad's own packages: where the user built a node.
 * Captured when a node is created so errors at compile and run time can point at it.
 *
 * @example
 * ```ts
 * function rowSoftmax(x: Variable): Variable {
 *   const site = captureCallSite(); // the first frame outside symgrad's packages
 *   if (x.ndim !== 2) throw new GraphError(`rowSoftmax: expected a matrix, got ${x.describe()}${atSite(site)}`);
 *   return apply1('softmax', { axis: 1 }, [x], site);
 * }
 * ```
 */
export function captureCallSite(): string | undefined {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  Error.captureStackTrace?.(holder, captureCallSite);
  Error.stackTraceLimit = limit;
  const stack = holder.stack ?? new Error().stack ?? '';
  for (const raw of stack.split('\n').slice(1)) {
    const line = raw.trim();
    if (!line.startsWith('at ')) continue;
    if (isInternalFrame(line)) continue;
    return line.slice(3);
  }
  return undefined;
}

const INTERNAL = /[\\/](packages[\\/](core|autodiff|nn|backend-[a-z]+)[\\/](src|dist)|node_modules[\\/]@symgrad[\\/])[\\/]?/;

function isInternalFrame(line: string): boolean {
  if (line.includes('node:internal') || line.includes('node_modules/vitest') || line.includes('node_modules/@vitest')) return true;
  // Tests beside the sources count as user code, so their frames stay visible.
  if (/\.test\.[cm]?[jt]s/.test(line)) return false;
  return INTERNAL.test(line);
}

/**
 * " (built at file:line:col)" or "" when no call site is known: the suffix every error
 * message about a node ends with.
 *
 * @example
 * ```ts
 * throw new GraphError(`${node.op}: input 0 must be a matrix${atSite(node.callSite)}`);
 * ```
 */
export function atSite(site: string | undefined): string {
  return site ? ` (built at ${site})` : '';
}
