import type { Backend } from '../backend/backend.js';
import { BackendError } from '../backend/registry.js';
import type { Program } from '../lower/program.js';

/**
 * Rejects a Program the backend cannot run before anything executes, listing every
 * unsupported kernel and dtype at once. `fn` calls it before `compile`; so does code that
 * compiles a Program by hand.
 *
 * @example
 * ```ts
 * const cpu = await getBackend('cpu');
 * checkProgramSupport(program, cpu); // throws a BackendError listing every problem
 * const exe = cpu.compile(program, { precision: 'fp32' });
 * ```
 */
export function checkProgramSupport(program: Program, backend: Backend): void {
  const caps = backend.capabilities;
  const problems: string[] = [];
  program.kernels.forEach((k, i) => {
    if (!caps.kernels.includes(k.kind)) problems.push(`kernel ${i} (${k.label}): kind '${k.kind}' is not supported`);
  });
  const dtypes = new Set(program.buffers.map((b) => b.dtype));
  for (const d of dtypes) if (!caps.dtypes.includes(d)) problems.push(`dtype ${d} is not supported (supported: ${caps.dtypes.join(', ')})`);
  for (const b of program.buffers) {
    if (b.size > caps.maxBufferElements) problems.push(`buffer ${b.id} has ${b.size} elements, over the limit of ${caps.maxBufferElements}`);
  }
  if (problems.length) throw new BackendError(`backend '${backend.name}' cannot run this function:\n  ${problems.join('\n  ')}`);
}
