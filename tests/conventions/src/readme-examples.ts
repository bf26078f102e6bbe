import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** A ```ts block of a README that stands alone (it starts with its imports). */
export interface ReadmeExample {
  /** The README, relative to the root, and the block's position in it: `README.md #0`. */
  readonly where: string;
  readonly code: string;
}

/** The standalone TypeScript examples of the root README and every package's and app's. */
export function readmeExamples(root: string): ReadmeExample[] {
  const readmes = ['README.md', ...['packages', 'apps'].flatMap((top) => readdirSync(join(root, top)).map((d) => join(top, d, 'README.md')))];
  const out: ReadmeExample[] = [];
  for (const file of readmes) {
    let text: string;
    try {
      text = readFileSync(join(root, file), 'utf8');
    } catch {
      continue;
    }
    [...text.matchAll(/```ts\n([\s\S]*?)```/g)].forEach((m, i) => {
      if (/^import /.test(m[1]!)) out.push({ where: `${file} #${i}`, code: m[1]! });
    });
  }
  return out;
}

/**
 * Type-checks each example as its own module in `dir` (which must resolve the `@symgrad`
 * packages), with the project's strict settings; returns the diagnostics per example.
 */
export function typecheckExamples(examples: readonly ReadmeExample[], dir: string): { where: string; errors: string[] }[] {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = examples.map((e, i) => {
    const f = join(dir, `example-${i}.ts`);
    // Top-level await needs a module; `export {}` makes a block without exports one.
    writeFileSync(f, `${e.code}\nexport {};\n`);
    return f;
  });
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: ['node'], strict: true, noEmit: true, skipLibCheck: true,
  });
  return examples.map((e, i) => {
    const sf = program.getSourceFile(files[i]!)!;
    const errors = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => {
      const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line + 1;
      return `line ${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    return { where: e.where, errors: errors.map((m) => `${relative(dir, files[i]!)} ${m}`) };
  });
}
