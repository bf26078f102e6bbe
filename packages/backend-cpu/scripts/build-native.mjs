// Builds the native addon (binding.gyp) and copies it to dist/prebuilds/<platform>-<arch>/,
// where node-gyp-build finds it in the published package (dist/ is what the tarball ships).
//
// Runs offline: node-gyp is pointed at the headers of the running Node when they are
// installed beside it (<prefix>/include/node), so it never downloads a header tarball.
// A failed build is not an error unless SYMGRAD_REQUIRE_NATIVE=1: the package then ships
// without the addon and runs its TypeScript kernels. SYMGRAD_SKIP_NATIVE_BUILD=1 skips it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'prebuilds', `${process.platform}-${process.arch}`);
const outFile = join(outDir, 'symgrad-cpu.napi.node');
const require = createRequire(import.meta.url);

function fail(reason) {
  rmSync(outFile, { force: true });
  if (process.env.SYMGRAD_REQUIRE_NATIVE === '1') {
    console.error(`symgrad: building the native CPU kernels failed: ${reason}`);
    process.exit(1);
  }
  console.warn(`symgrad: native CPU kernels not built (${reason}); the package will use its TypeScript kernels`);
  process.exit(0);
}

if (process.env.SYMGRAD_SKIP_NATIVE_BUILD === '1') fail('SYMGRAD_SKIP_NATIVE_BUILD=1');

const args = [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', '--release', `--jobs=${process.env.JOBS ?? 'max'}`];
const prefix = resolve(dirname(process.execPath), '..');
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
if (r.error) fail(r.error.message);
if (r.status !== 0) fail(`node-gyp exited with ${r.status ?? r.signal}`);
const built = join(root, 'build', 'Release', 'symgrad_cpu.node');
if (!existsSync(built)) fail(`${built} is missing after node-gyp`);
mkdirSync(outDir, { recursive: true });
copyFileSync(built, outFile);
console.log(`symgrad: native CPU kernels built: ${outFile.slice(root.length + 1)}`);
