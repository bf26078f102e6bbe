// Bundles device-check/check.ts into <repo>/.device/cuda/check.mjs with the addon beside it,
// for the GPU machine (which has no Node and no node_modules: see ../../../../shared/device/README.md
// in the project's workspace). Usage, from the repository root:
//   pnpm --filter @symgrad/backend-cuda build
//   node packages/backend-cuda/device-check/bundle.mjs
//   bash ../shared/device/pack-node.sh            # .device/node.xz
//   device run, carry [".device"]:  xz -dc .device/node.xz > /tmp/node && chmod +x /tmp/node && \
//     SYMGRAD_CUDA_ADDON=$PWD/.device/cuda/symgrad_cuda.node /tmp/node .device/cuda/check.mjs
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const repo = resolve(pkg, '../..');
const out = join(process.env.SYMGRAD_DEVICE_DIR ?? join(repo, '.device'), 'cuda');
mkdirSync(out, { recursive: true });

const addon = join(pkg, 'build', 'Release', 'symgrad_cuda.node');
if (!existsSync(addon)) throw new Error(`build the addon first (pnpm --filter @symgrad/backend-cuda build): ${addon} is missing`);
copyFileSync(addon, join(out, 'symgrad_cuda.node'));

const cpuSrc = join(repo, 'packages', 'backend-cpu', 'src', 'index.ts');
await build({
  entryPoints: [join(here, 'check.ts')],
  outfile: join(out, 'check.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@symgrad/source'],
  // The CPU backend is bundled only for the comparison; its own addon (if any) stays external.
  alias: existsSync(cpuSrc) ? { '@symgrad/backend-cpu': cpuSrc } : {},
  external: ['*.node'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
console.log(`wrote ${join(out, 'check.mjs')} and symgrad_cuda.node`);
