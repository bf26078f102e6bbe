/**
 * "Publishable": packs @symgrad/core, autodiff, backend-cpu and nn with `pnpm pack` (as
 * `pnpm publish` would), installs the tarballs with plain npm into an empty project outside
 * the workspace, and trains a tiny MLP with them under plain Node. This catches what the
 * workspace hides: files missing from `files`, `workspace:` ranges left in package.json,
 * exports that only work through the '@symgrad/source' condition, imports of dev-only
 * packages, and sources or tests shipped by mistake.
 *
 * Needs the packages built (dist/): the root `pnpm test` runs `turbo run build` first.
 * Set SYMGRAD_KEEP_PACK_DIR=1 to keep the temporary directory for inspection.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeCpuStatus } from '@symgrad/backend-cpu';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const PACKAGES = ['core', 'autodiff', 'backend-cpu', 'nn'] as const;
const TIMEOUT = 5 * 60_000;

/** The environment without what pnpm and vitest put there for their own children. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|VITEST|TURBO_)/i.test(k) || k === 'NODE_ENV' || k === 'NODE_OPTIONS' || k === 'TEST' || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return env;
}

async function sh(cmd: string, args: readonly string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(cmd, [...args], { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, timeout: TIMEOUT });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n--- stdout ---\n${e.stdout ?? ''}\n--- stderr ---\n${e.stderr ?? ''}`);
  }
}

interface Packed {
  readonly dir: string;
  readonly tarball: string;
  readonly files: string[];
  readonly manifest: Record<string, unknown>;
}

let tmp = '';
const packed = new Map<string, Packed>();

beforeAll(async () => {
  for (const p of PACKAGES) {
    const entry = join(ROOT, 'packages', p, 'dist', 'index.js');
    if (!existsSync(entry)) {
      throw new Error(`packages/${p}/dist/index.js is missing: build the packages first (\`pnpm test\` runs \`turbo run build\` before the tests; or run \`pnpm turbo run build --filter=@symgrad/pack-test...\`)`);
    }
  }
  tmp = await mkdtemp(join(tmpdir(), 'symgrad-pack-'));
  for (const p of PACKAGES) {
    const dir = join(ROOT, 'packages', p);
    const dest = join(tmp, 'tarballs', p);
    await mkdir(dest, { recursive: true });
    await sh('pnpm', ['pack', '--pack-destination', dest], dir);
    const tgz = (await readdir(dest)).filter((f) => f.endsWith('.tgz'));
    if (tgz.length !== 1) throw new Error(`pnpm pack in packages/${p} made ${tgz.length} tarballs: ${tgz.join(', ')}`);
    const tarball = join(dest, tgz[0]!);
    const files = (await sh('tar', ['-tzf', tarball], tmp)).split('\n').filter((l) => l && !l.endsWith('/'));
    const manifest = JSON.parse(await sh('tar', ['-xzOf', tarball, 'package/package.json'], tmp)) as Record<string, unknown>;
    packed.set(p, { dir, tarball, files, manifest });
  }
}, TIMEOUT);

afterAll(async () => {
  if (tmp && !process.env.SYMGRAD_KEEP_PACK_DIR) await rm(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`kept ${tmp}`);
});

describe.each(PACKAGES)('the @symgrad/%s tarball', (p) => {
  it('holds only dist/, README.md and package.json (a LICENSE is allowed; native packages also ship binding.gyp and native/ sources so users without a prebuild can compile): no TypeScript sources, no tests', () => {
    const { files } = packed.get(p)!;
    const unexpected = files.filter((f) => !/^package\/(dist\/.+|README\.md|package\.json|LICENSE(\.md)?|binding\.gyp|native\/[\w.-]+\.(cc|h)|scripts\/build-native\.mjs)$/.test(f));
    expect(unexpected).toEqual([]);
    expect(files.filter((f) => /\.test\.|\.spec\.|(^|\/)(src|test|tests|__tests__)\//.test(f.replace(/^package\//, '')))).toEqual([]);
    expect(files).toContain('package/package.json');
    expect(files).toContain('package/README.md');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
  });

  it('has a package.json with real version ranges (no workspace: protocol)', () => {
    const { manifest } = packed.get(p)!;
    expect(manifest.name).toBe(`@symgrad/${p}`);
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
    const peers = (manifest.peerDependencies ?? {}) as Record<string, string>;
    for (const [name, range] of Object.entries(peers)) {
      if (name.startsWith('@symgrad/')) expect(range).toMatch(/^([\^~]?\d+\.\d+\.\d+|>=\d+\.\d+\.\d+ <\d+\.\d+\.\d+)$/);
    }
  });
});

describe('the native CPU prebuild', () => {
  // The workspace's own addon loaded: then its build wrote a prebuild, and the tarball must ship it.
  const expectPrebuild = nativeCpuStatus().ok || process.env.SYMGRAD_REQUIRE_NATIVE === '1';
  const prebuildDir = `package/dist/prebuilds/${process.platform}-${process.arch}/`;

  it('is in the @symgrad/backend-cpu tarball, written by prebuildify (one stripped N-API build), wherever the addon builds; else the TypeScript kernels ship alone', () => {
    const { files } = packed.get('backend-cpu')!;
    if (expectPrebuild) {
      const builds = files.filter((f) => f.startsWith(prebuildDir));
      expect(builds).toHaveLength(1);
      expect(builds[0]).toMatch(/\.node$/);
    } else {
      expect(files.filter((f) => f.includes('/prebuilds/'))).toEqual([]);
    }
  });

  it('is never compiled at install: the package has no install script and opts out of npm\'s implicit node-gyp rebuild', () => {
    const { manifest } = packed.get('backend-cpu')!;
    expect(manifest.gypfile).toBe(false);
    const scripts = (manifest.scripts ?? {}) as Record<string, string>;
    for (const s of ['preinstall', 'install', 'postinstall']) expect(scripts[s]).toBeUndefined();
  });
});

describe('installed from the tarballs with npm', () => {
  it('trains a tiny MLP (8-16-4) on the CPU backend: the loss is finite and falls', async () => {
    const project = join(tmp, 'consumer');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'symgrad-consumer', version: '0.0.0', private: true, type: 'module' }, null, 2));
    const tarballs = PACKAGES.map((p) => packed.get(p)!.tarball);
    await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs], project);
    for (const p of PACKAGES) expect(existsSync(join(project, 'node_modules', '@symgrad', p, 'package.json'))).toBe(true);
    // Nothing was compiled: the addon that runs below is the shipped prebuild.
    expect(existsSync(join(project, 'node_modules', '@symgrad', 'backend-cpu', 'build'))).toBe(false);

    await writeFile(join(project, 'train.mjs'), TRAIN_SCRIPT);
    const out = await sh(process.execPath, ['train.mjs'], project);
    const last = out.trim().split('\n').at(-1)!;
    const { losses, probabilityRows, native } = JSON.parse(last) as { losses: number[]; probabilityRows: number[]; native: string };
    if (nativeCpuStatus().ok || process.env.SYMGRAD_REQUIRE_NATIVE === '1') expect(native).toBe('ok');

    expect(losses).toHaveLength(40);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    // Full-batch gradient descent with lr 0.1 on a learnable task: in a NumPy model of this
    // setup over 300 random inits the loss fell every step and ended at ≤ 0.58 × the first.
    expect(losses[20]!).toBeLessThan(losses[0]!);
    expect(losses[39]!).toBeLessThan(losses[20]!);
    expect(losses[39]!).toBeLessThan(0.8 * losses[0]!);
    // predict returns probabilities: every row sums to 1.
    expect(probabilityRows).toHaveLength(64);
    for (const s of probabilityRows) expect(s).toBeCloseTo(1, 4);
  });

  // Where no prebuild matches a platform, a user with a toolchain builds the addon from the
  // sources the tarball ships, as the README says: node-gyp in the installed package (its
  // headers come from the dependency node-addon-api), then node-gyp-build loads build/Release.
  it.runIf(nativeCpuStatus().ok || process.env.SYMGRAD_REQUIRE_NATIVE === '1')('builds the addon from the shipped sources with node-gyp, and loads that build', async () => {
    const pkg = join(tmp, 'consumer', 'node_modules', '@symgrad', 'backend-cpu');
    const nodeGyp = createRequire(join(ROOT, 'packages', 'backend-cpu', 'package.json')).resolve('node-gyp/bin/node-gyp.js');
    const nodedir = resolve(dirname(process.execPath), '..');
    await sh(process.execPath, [nodeGyp, 'rebuild', '--release', `--nodedir=${nodedir}`, '--jobs=max'], pkg);
    expect(existsSync(join(pkg, 'build', 'Release', 'symgrad_cpu.node'))).toBe(true);
    const probe = "import { nativeCpuStatus } from '@symgrad/backend-cpu'; const s = nativeCpuStatus(); console.log(s.ok ? 'ok' : s.reason);";
    // node-gyp-build prefers build/Release over the prebuild; the shipped prebuild is set aside to be sure.
    await rename(join(pkg, 'dist', 'prebuilds'), join(pkg, 'dist', 'prebuilds-aside'));
    try {
      expect((await sh(process.execPath, ['--input-type=module', '-e', probe], join(tmp, 'consumer'))).trim()).toBe('ok');
    } finally {
      await rename(join(pkg, 'dist', 'prebuilds-aside'), join(pkg, 'dist', 'prebuilds'));
    }
  }, TIMEOUT);
});

/** The consumer's script: the reference workload's API, at toy size. */
const TRAIN_SCRIPT = `
import { T, fn, shared, NDArray, setBackend } from '@symgrad/core';
import { grad } from '@symgrad/autodiff';
import { nativeCpuStatus } from '@symgrad/backend-cpu';
import { heNormal, normal } from '@symgrad/nn';

setBackend('cpu');
const N = 64, D = 8, H = 16, C = 4;
const X = normal([N, D], { seed: 10 });
// Learnable labels: the index of the largest of the first C features.
const labels = new Int32Array(N);
for (let i = 0; i < N; i++) {
  let best = 0;
  for (let j = 1; j < C; j++) if (X.data[i * D + j] > X.data[i * D + best]) best = j;
  labels[i] = best;
}
const Y = new NDArray('int32', [N], labels);

const x = T.matrix('x');
const y = T.ivector('y');
const w1 = shared(heNormal([D, H], { seed: 1 }), 'w1');
const w2 = shared(heNormal([H, H], { seed: 2 }), 'w2');
const w3 = shared(heNormal([H, C], { seed: 3 }), 'w3');
const h1 = T.relu(T.dot(x, w1));
const h2 = T.relu(T.dot(h1, w2));
const yPred = T.softmax(T.dot(h2, w3));
const loss = T.mean(T.categoricalCrossentropy(yPred, y));
const [g1, g2, g3] = grad(loss, [w1, w2, w3]);
const train = fn([x, y], loss, { updates: [[w1, w1.sub(g1.mul(0.1))], [w2, w2.sub(g2.mul(0.1))], [w3, w3.sub(g3.mul(0.1))]] });
const predict = fn([x], yPred);

const losses = [];
for (let step = 0; step < 40; step++) losses.push((await train(X, Y)).item());
const p = await predict(X);
if (p.shape.length !== 2 || p.shape[0] !== N || p.shape[1] !== C) throw new Error('predict returned shape [' + p.shape.join(', ') + ']');
const probabilityRows = [];
for (let i = 0; i < N; i++) {
  let s = 0;
  for (let j = 0; j < C; j++) s += p.data[i * C + j];
  probabilityRows.push(s);
}
const status = nativeCpuStatus();
console.log(JSON.stringify({ losses, probabilityRows, native: status.ok ? 'ok' : status.reason }));
`;
