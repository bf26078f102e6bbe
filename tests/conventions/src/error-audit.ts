import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { sourceFiles } from './source-files.js';

/** A thrown message whose text no test asserts. */
export interface UntestedError {
  /** The source file, relative to the root. */
  readonly file: string;
  readonly line: number;
  /** The message's longest literal piece (the part a test would assert). */
  readonly text: string;
}

const FIXTURES = new Set(['testing-fixtures']);
const isTs = (name: string): boolean => name.endsWith('.ts') && !name.endsWith('.d.ts');

/** The literal pieces of a message argument: a string, or a template's text between `${}`s. */
function literalPieces(arg: ts.Expression): string[] {
  if (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) return [arg.text];
  if (ts.isTemplateExpression(arg)) return [arg.head.text, ...arg.templateSpans.map((s) => s.literal.text)];
  return [];
}

/** Every `new …Error(message)` of a source file, with its line and the pieces of its message. */
export function thrownMessages(source: string, fileName: string): { line: number; pieces: string[] }[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: { line: number; pieces: string[] }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && /Error$/.test(node.expression.text) && node.arguments?.[0]) {
      found.push({ line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1, pieces: literalPieces(node.arguments[0]) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Test text with regex and string escapes undone, so `\[2, 3\]` and `it\'s` read as written. */
function unescape(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

/**
 * Whether the tests assert a message: the start of one of its literal pieces (40
 * characters), or a run of three or more of a piece's words (14 characters or more),
 * appears in them. Pieces under 12 characters say too little to look for, so a message with
 * only such pieces counts as asserted.
 */
function asserted(pieces: readonly string[], tests: string): boolean {
  const long = pieces.map((p) => p.trim()).filter((p) => p.length >= 12);
  if (long.length === 0) return true;
  return long.some((text) => {
    if (tests.includes(text.slice(0, 40))) return true;
    const words = text.split(/\s+/);
    for (let i = 0; i + 3 <= words.length; i++) {
      const run = words.slice(i, i + 3).join(' ');
      if (run.length >= 14 && tests.includes(run)) return true;
    }
    return false;
  });
}

/**
 * The thrown messages of the workspace's sources (`packages/*\/src`, `apps/*\/src`, tests and
 * testing fixtures left out) that no test file (`*.test.ts` anywhere under them or `tests/`)
 * asserts.
 */
export function untestedErrors(root: string): UntestedError[] {
  const trees = ['packages', 'apps', 'tests'].flatMap((top) => {
    const dir = join(root, top);
    return readdirSync(dir).map((name) => join(dir, name, 'src')).filter((d) => { try { return statSync(d).isDirectory(); } catch { return false; } });
  });
  const files = trees.flatMap((d) => sourceFiles(d, isTs, FIXTURES));
  const tests = unescape(files.filter((f) => f.endsWith('.test.ts')).map((f) => readFileSync(f, 'utf8')).join('\n'));
  const out: UntestedError[] = [];
  for (const f of files) {
    if (f.endsWith('.test.ts') || relative(root, f).startsWith('tests/')) continue;
    for (const m of thrownMessages(readFileSync(f, 'utf8'), f)) {
      if (asserted(m.pieces, tests)) continue;
      const text = m.pieces.map((p) => p.trim()).sort((a, b) => b.length - a.length)[0] ?? '';
      out.push({ file: relative(root, f), line: m.line, text });
    }
  }
  return out;
}
