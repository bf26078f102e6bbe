import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** A public export whose TSDoc is missing, or lacks the example a function or class needs. */
export interface UndocumentedExport {
  /** The import path: `@symgrad/core`, `@symgrad/core/testing`, … */
  readonly entry: string;
  readonly name: string;
  /** Where it is declared, relative to the root. */
  readonly file: string;
  readonly problem: 'no TSDoc' | 'no @example';
}

type Exports = Record<string, { '@symgrad/source'?: string } | string>;

/**
 * The exports of every workspace package's entry points (its package.json `exports`, read
 * through their `@symgrad/source` condition) that lack TSDoc, and the functions and classes
 * among them whose TSDoc has no `@example`. Types and interfaces are left out: their members
 * carry the documentation.
 */
export function undocumentedExports(root: string, packagesDir = 'packages'): UndocumentedExport[] {
  const out: UndocumentedExport[] = [];
  for (const dir of readdirSync(join(root, packagesDir))) {
    const pkgDir = join(root, packagesDir, dir);
    let pkg: { name: string; exports?: Exports };
    try {
      pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as typeof pkg;
    } catch {
      continue;
    }
    const entries = Object.entries(pkg.exports ?? {}).flatMap(([sub, target]) => {
      const src = typeof target === 'object' ? target['@symgrad/source'] : undefined;
      return src ? [{ entry: sub === '.' ? pkg.name : `${pkg.name}/${sub.replace(/^\.\//, '')}`, file: join(pkgDir, src) }] : [];
    });
    if (entries.length === 0) continue;
    const program = ts.createProgram(entries.map((e) => e.file), {
      module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true,
    });
    const checker = program.getTypeChecker();
    for (const e of entries) {
      const sf = program.getSourceFile(e.file);
      const mod = sf && checker.getSymbolAtLocation(sf);
      if (!mod) continue;
      for (const exported of checker.getExportsOfModule(mod)) {
        const s = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
        const decl = s.declarations?.[0];
        if (!decl || ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl)) continue;
        const file = relative(root, decl.getSourceFile().fileName);
        const doc = ts.displayPartsToString(s.getDocumentationComment(checker)).trim();
        const needsExample = ts.isFunctionDeclaration(decl) || ts.isClassDeclaration(decl);
        if (!doc) out.push({ entry: e.entry, name: exported.name, file, problem: 'no TSDoc' });
        else if (needsExample && !s.getJsDocTags(checker).some((t) => t.name === 'example')) out.push({ entry: e.entry, name: exported.name, file, problem: 'no @example' });
      }
    }
  }
  return out;
}
