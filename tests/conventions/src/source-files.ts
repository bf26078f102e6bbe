import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Folders of build output and installed packages: never sources. Hidden folders (`.turbo`,
 * a test's `.fake-cuda-tmp` scratch space while another package's tests run) are skipped too.
 */
const OUTPUT_DIRS = new Set(['node_modules', 'dist', 'build', 'prebuilds']);

/** The files under `dir` whose names `accept` takes, build output left out, in walk order. */
export function sourceFiles(dir: string, accept: (name: string) => boolean, skipDirs: ReadonlySet<string> = new Set(), out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (OUTPUT_DIRS.has(name) || skipDirs.has(name) || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, accept, skipDirs, out);
    else if (accept(name)) out.push(path);
  }
  return out;
}
