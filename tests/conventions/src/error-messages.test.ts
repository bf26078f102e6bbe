import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { thrownMessages, untestedErrors } from './error-audit.js';
import { INTERNAL_ERRORS } from './internal-errors.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('error messages', () => {
  it('every message a user can reach is asserted by a test; the rest are listed as internal, with a reason', () => {
    const untested = untestedErrors(ROOT).map((e) => `${e.file}: ${e.text}`);
    // A failure here lists a new throw with no test asserting its message (write one beside
    // the code that throws), or an internal check to list in internal-errors.ts.
    expect(untested.filter((e) => !(e in INTERNAL_ERRORS))).toEqual([]);
    expect(Object.keys(INTERNAL_ERRORS).filter((e) => !untested.includes(e))).toEqual([]);
  });
});

describe('the audit', () => {
  const root = mkdtempSync(join(tmpdir(), 'symgrad-error-audit-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  it("finds a message no test asserts, and counts an escaped regex or a run of its words as asserting it", () => {
    mkdirSync(join(root, 'tests'), { recursive: true });
    write('apps/x/src/keep.ts', '');
    write('packages/p/src/f.ts', [
      'export function f(n: number, shape: number[]) {',
      '  if (n < 0) throw new RangeError(`f: n must be a non-negative integer, got ${n}`);',
      '  if (n > 9) throw new Error(`f: shape [${shape.join(", ")}] (${n} elements) is too large for this kind of kernel`);',
      "  if (n === 5) throw new TypeError('f: five is a number this function refuses to take');",
      '  if (n === 6) throw new Error(`f: ${n}`);',
      '}',
    ].join('\n'));
    write('packages/p/src/f.test.ts', [
      "expect(() => f(-1, [])).toThrow(/^f: n must be a non-negative integer, got -1$/);",
      "expect(() => f(10, [2])).toThrow('is too large for this');",
    ].join('\n'));
    expect(untestedErrors(root)).toEqual([{ file: 'packages/p/src/f.ts', line: 4, text: 'f: five is a number this function refuses to take' }]);
  });

  it('reads the literal pieces of string and template messages of any …Error class', () => {
    const found = thrownMessages("throw new GraphError(`a ${x} b`); new OpTypeError('c'); new Map('d'); throw err;", 'm.ts');
    expect(found).toEqual([{ line: 1, pieces: ['a ', ' b'] }, { line: 1, pieces: ['c'] }]);
  });
});
