// Prepares <repo>/.device/ for a run on the GPU machine (no Node, no node_modules there; see
// the device README in the project's workspace): the GPU benchmark bundled into one ES module
// with the `webgpu` package (Dawn, compressed) beside it, the PyTorch/JAX peer script, the
// CUDA backend's device check (packages/backend-cuda/device-check), and run.sh, which runs
// every part with its own time limit and writes the logs under $OUT; also the demo and the
// native CPU addon, so the whole experiment runs there too. Usage, from the root:
//   pnpm --filter @symgrad/backend-cuda build && pnpm --filter @symgrad/bench bundle-device
//   bash ../shared/device/pack-node.sh        # .device/node.xz
//   device run, carry [".device", ".gl"]:  bash .device/run.sh
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const app = resolve(here, '..');
const repo = resolve(app, '../..');
// --no-dawn leaves the `webgpu` package out (tests bundle without it); SYMGRAD_DEVICE_DIR moves .device/.
const { values: flags } = parseArgs({ options: { 'no-dawn': { type: 'boolean', default: false } } });
const deviceDir = process.env.SYMGRAD_DEVICE_DIR ?? join(repo, '.device');
const out = join(deviceDir, 'bench');
mkdirSync(out, { recursive: true });

execFileSync(process.execPath, [join(repo, 'packages/backend-cuda/device-check/bundle.mjs')], { stdio: 'inherit' });

// One ES module per entry; native addons, Dawn and node-gyp-build stay outside (carried beside).
// CommonJS dependencies (gpu.js's) read require and __filename, which ES modules lack.
const bundle = (entry, outfile) =>
  build({
    entryPoints: [entry],
    outfile: join(out, outfile),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@symgrad/source'],
    external: ['*.node', 'webgpu', 'node-gyp-build', 'playwright-core'],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; " +
        "const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __filename.replace(/\\/[^/]*$/, '');",
    },
    logLevel: 'warning',
  });
await bundle(join(app, 'src/gpu/device-bench.ts'), 'device-bench.mjs');
await bundle(join(here, 'demo-entry.ts'), 'demo.mjs'); // the demo (`symgrad`), on the GPU machine's backends
copyFileSync(join(app, 'src/gpu/torch_jax_seed.py'), join(out, 'torch_jax_seed.py'));

// The native CPU addon (backend-cpu's prebuild) where the bundled backend-cpu looks for it:
// node-gyp-build, resolved from the bundles (.device/bench and .device/cuda, hence
// .device/node_modules), searches <bundle dir>/../build/Release.
const prebuilds = join(repo, 'packages/backend-cpu/dist/prebuilds', `${process.platform}-${process.arch}`);
const cpuAddon = existsSync(prebuilds) ? readdirSync(prebuilds).filter((f) => f.endsWith('.node')).map((f) => join(prebuilds, f))[0] : undefined;
if (cpuAddon) {
  mkdirSync(join(deviceDir, 'build', 'Release'), { recursive: true });
  copyFileSync(cpuAddon, join(deviceDir, 'build', 'Release', 'symgrad_cpu.node'));
  const gyp = dirname(realpathSync(createRequire(join(repo, 'packages/backend-cpu/package.json')).resolve('node-gyp-build/package.json')));
  cpSync(gyp, join(deviceDir, 'node_modules', 'node-gyp-build'), { recursive: true, dereference: true });
}

// The `webgpu` package, reduced to what Linux x86-64 needs, Dawn compressed (21 MB → a third).
const require = createRequire(join(app, 'package.json'));
const webgpu = dirname(realpathSync(require.resolve('webgpu/package.json')));
const wOut = join(out, 'node_modules', 'webgpu');
if (!flags['no-dawn']) {
  mkdirSync(join(wOut, 'dist', 'linux-x64'), { recursive: true });
  for (const f of ['index.js', 'package.json']) copyFileSync(join(webgpu, f), join(wOut, f));
  execFileSync('sh', ['-c', `xz -T2 -6 -c '${join(webgpu, 'dist/linux-x64/dawn.node')}' > '${join(wOut, 'dist/linux-x64/dawn.node.xz')}'`]);
}

copyFileSync(join(here, 'device-run.sh'), join(deviceDir, 'run.sh'));
chmodSync(join(deviceDir, 'run.sh'), 0o755);
console.log(`wrote ${out}/device-bench.mjs, demo.mjs, torch_jax_seed.py${flags['no-dawn'] ? '' : ', node_modules/webgpu'} and ${join(deviceDir, 'run.sh')}`);
