// Builds the addon with node-gyp against the running Node's own headers (offline: no header
// download), as the package's `build` script; no install script is involved (pnpm 10 skips them).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const nodeGyp = join(dirname(require.resolve('node-gyp/package.json')), 'bin', 'node-gyp.js');
// /usr/bin/node → /usr (headers in /usr/include/node); an official tarball → its root.
const nodedir = process.env.npm_config_nodedir ?? dirname(dirname(process.execPath));
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  console.error(`build-native: no Node headers under ${nodedir}/include/node; set npm_config_nodedir`);
  process.exit(1);
}
// configure once, then incremental builds: an unchanged addon is not relinked, so processes
// (tests, other packages' builds) using build/Release/symgrad_cuda.node meanwhile are undisturbed.
const gyp = (...args) => execFileSync(process.execPath, [nodeGyp, ...args, `--nodedir=${nodedir}`], { stdio: 'inherit' });
const configured = join(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'config.gypi');
if (!existsSync(configured) || !readFileSync(configured, 'utf8').includes(`"nodedir": ${JSON.stringify(nodedir)}`)) gyp('configure');
gyp('build', '--jobs=2');
