import { describe, expect, it } from 'vitest';
import { PEERS, UsageError, parseBenchArgs, policies } from './args.js';

describe('parseBenchArgs', () => {
  it('runs every section but the sweep, and every peer, by default', () => {
    const o = parseBenchArgs([]);
    expect([...o.sections]).toEqual(['seed', 'forward', 'kernels', 'webgl']);
    expect([...o.peers]).toEqual([...PEERS]);
    expect(o).toMatchObject({ quick: false, sweep: false, partial: false, noWrite: false, help: false });
  });
  it('adds the sweep with --sweep', () => {
    const o = parseBenchArgs(['--sweep', '--quick']);
    expect(o.sections.has('sweep')).toBe(true);
    expect(o.quick).toBe(true);
  });
  it('splits --only into sections and peers', () => {
    const o = parseBenchArgs(['--only', 'seed, numpy,symgrad']);
    expect([...o.sections]).toEqual(['seed']);
    expect([...o.peers]).toEqual(['numpy', 'symgrad']);
    expect(o.partial).toBe(true);
  });
  it('keeps all peers when --only names sections only, and all sections when it names peers only', () => {
    expect(parseBenchArgs(['--only', 'kernels']).peers.size).toBe(PEERS.length);
    expect([...parseBenchArgs(['--only', 'onnx']).sections]).toEqual(['seed', 'forward', 'kernels', 'webgl']);
  });
  it('--only sweep runs the sweep alone', () => {
    const o = parseBenchArgs(['--only', 'sweep']);
    expect([...o.sections]).toEqual(['sweep']);
    expect(o.sweep).toBe(true);
  });
  it('rejects unknown names, options and positionals', () => {
    expect(() => parseBenchArgs(['--only', 'seed,jax'])).toThrow(
      "--only: unknown name 'jax' (sections: seed, forward, kernels, webgl, sweep; peers: symgrad, tfjs-wasm, tfjs-cpu, onnx, numpy, torch, gpujs, tfjs-webgl)");
    expect(() => parseBenchArgs(['--only', ','])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--only', ' , '])).toThrow('--only needs at least one name');
    expect(() => parseBenchArgs(['--fast'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--fast'])).toThrow("Unknown option '--fast'");
    expect(() => parseBenchArgs(['seed'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['seed'])).toThrow("Unexpected argument 'seed'");
    expect(() => parseBenchArgs(['--only'])).toThrow("Option '--only <value>' argument missing");
  });
  it('drops the leading -- that pnpm passes on', () => {
    expect(parseBenchArgs(['--', '--quick']).quick).toBe(true);
  });
  it('reads --docs, --no-write and -h', () => {
    expect(parseBenchArgs(['--docs', '/tmp/d', '--no-write', '-h'])).toMatchObject({ docsDir: '/tmp/d', noWrite: true, help: true, render: false });
    expect(parseBenchArgs(['--render']).render).toBe(true);
  });
});

describe('policies', () => {
  it('repeats less under --quick and never times tfjs-cpu more than twice', () => {
    const q = policies(true);
    const f = policies(false);
    expect(q.fast.maxReps).toBeLessThan(f.fast.maxReps);
    expect(q.glacial.maxReps).toBeLessThanOrEqual(2);
    expect(f.glacial.maxReps).toBeLessThanOrEqual(2);
    for (const p of [q, f]) for (const r of Object.values(p)) expect(r.minReps).toBeLessThanOrEqual(r.maxReps);
  });
});
