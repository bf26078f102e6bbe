import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** Every module the given entry reaches through relative imports, and the bare specifiers they import. */
function reach(entry: string): { files: string[]; bare: Set<string> } {
  const files: string[] = [];
  const bare = new Set<string>();
  const todo = [resolve(here, entry)];
  while (todo.length) {
    const file = todo.pop()!;
    if (files.includes(file)) continue;
    files.push(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)|require\(\s*'([^']+)'\s*\)/g)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (spec.startsWith('.')) todo.push(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else bare.add(spec);
    }
  }
  return { files, bare };
}

describe('package entries', () => {
  it('the main entry reaches no Node built-ins (it runs in browsers)', () => {
    const { files, bare } = reach('index.ts');
    expect(files.length).toBeGreaterThan(15);
    expect([...bare].sort()).toEqual(['@symgrad/autodiff', '@symgrad/core']);
  });

  it('the node entry adds files and the MNIST loader', async () => {
    const { bare } = reach('node.ts');
    expect([...bare].filter((s) => s.startsWith('node:')).sort()).toEqual(['node:crypto', 'node:fs/promises', 'node:module', 'node:path']);
    const main = await import('./index.js');
    const node = await import('./node.js');
    for (const k of Object.keys(main)) expect(node).toHaveProperty(k);
    expect(typeof node.loadMnist).toBe('function');
    expect(typeof node.saveModel).toBe('function');
    expect('loadMnist' in main).toBe(false);
  });
});
