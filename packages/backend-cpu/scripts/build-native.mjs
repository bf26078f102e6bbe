// Builds the native addon (binding.gyp) with prebuildify, which runs node-gyp and writes the
// stripped N-API prebuild to dist/prebuilds/<platform>-<arch>/, where node-gyp-build finds it
// in the published package (dist/ is what the tarball ships) and in a checkout.
//
// Runs offline: prebuildify asks node-gyp for one target, the running Node, and node-gyp is
// pointed at the headers installed beside it (<prefix>/include/node, through
// npm_config_nodedir), so it never downloads a header tarball. An N-API prebuild does not
// depend on the Node version it was built with.
// A failed build is not an error unless SYMGRAD_REQUIRE_NATIVE=1: the package then ships
// without the addon and runs its TypeScript kernels. SYMGRAD_SKIP_NATIVE_BUILD=1 skips it.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'prebuilds', `${process.platform}-${process.arch}`);
const require = createRequire(import.meta.url);

function fail(reason) {
  rmSync(outDir, { recursive: true, force: true });
  if (process.env.SYMGRAD_REQUIRE_NATIVE === '1') {
    console.error(`symgrad: building the native CPU kernels failed: ${reason}`);
    process.exit(1);
  }
  console.warn(`symgrad: native CPU kernels not built (${reason}); the package will use its TypeScript kernels`);
  process.exit(0);
}

if (process.env.SYMGRAD_SKIP_NATIVE_BUILD === '1') fail('SYMGRAD_SKIP_NATIVE_BUILD=1');

let prebuildify;
try {
  prebuildify = require('prebuildify');
} catch (err) {
  fail(`prebuildify is not installed (${err.message.split('\n')[0]})`);
}

// prebuildify hands node-gyp its own copy of process.env: the settings go there.
process.env.JOBS ??= 'max';
const prefix = resolve(dirname(process.execPath), '..');
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) process.env.npm_config_nodedir = prefix;

// A stale prebuild from an older build must not be loaded if this one fails.
rmSync(outDir, { recursive: true, force: true });
const nodeGyp = `"${process.execPath}" "${require.resolve('node-gyp/bin/node-gyp.js')}"`;
prebuildify(
  {
    cwd: root,
    out: join(root, 'dist'),
    napi: true,
    strip: true,
    targets: [{ runtime: 'node', target: process.versions.node }],
    nodeGyp,
    shell: true, // nodeGyp is a command line: the running Node and node-gyp's script
  },
  (err) => {
    if (err) fail(`prebuildify: ${err.message}`);
    const built = existsSync(outDir) ? readdirSync(outDir).filter((f) => f.endsWith('.node')) : [];
    if (built.length !== 1) fail(`expected one prebuild in ${outDir}, found ${built.length}`);
    console.log(`symgrad: native CPU kernels built: ${join(outDir, built[0]).slice(root.length + 1)}`);
  },
);
