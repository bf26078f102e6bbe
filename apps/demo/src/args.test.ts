import { describe, expect, it } from 'vitest';
import { DEFAULTS, UsageError, USAGE, parseBackends, parseDemoArgs, trainCount } from './args.js';

describe('parseDemoArgs', () => {
  it('defaults to the full seed model and data with fewer epochs, on every backend', () => {
    const o = parseDemoArgs([]);
    expect(o).toMatchObject({ command: 'run', backends: 'all', dataset: 'seed', epochs: 100, hidden: 1000, batch: 0, samples: 1000, precision: 'fp32', seed: 0, logEvery: 10, json: false, report: undefined, sweep: false, help: false });
    expect(DEFAULTS.seed).toEqual({ epochs: 100, hidden: 1000, batch: 0, samples: 1000 });
  });

  it('takes mnist defaults from the data set', () => {
    expect(parseDemoArgs(['--dataset', 'mnist'])).toMatchObject({ dataset: 'mnist', ...DEFAULTS.mnist });
    expect(parseDemoArgs(['--dataset=mnist', '--batch', '128']).batch).toBe(128);
  });

  it('reads every option, ignoring the -- that pnpm passes', () => {
    const o = parseDemoArgs(['--', '--epochs', '100', '--backend', 'cpu,webgpu', '--backend=cuda', '--hidden=64', '--precision', 'tf32',
      '--seed', '7', '--json', '--report', 'r.html', '--sweep', '--log-every', '5', '--samples', '50', '--batch', '0']);
    expect(o).toMatchObject({ epochs: 100, backends: ['cpu', 'webgpu', 'cuda'], hidden: 64, precision: 'tf32', seed: 7, json: true, report: 'r.html', sweep: true, logEvery: 5, samples: 50, batch: 0 });
  });

  it('reads the doctor subcommand and --help', () => {
    expect(parseDemoArgs(['doctor']).command).toBe('doctor');
    expect(parseDemoArgs(['--', 'doctor', '--json'])).toMatchObject({ command: 'doctor', json: true });
    expect(parseDemoArgs(['-h']).help).toBe(true);
    expect(USAGE).toContain('--epochs 20 is a quicker look');
    for (const opt of ['--backend', '--epochs', '--batch', '--hidden', '--dataset', '--precision', '--seed', '--json', '--report', '--sweep']) expect(USAGE).toContain(opt);
  });

  it.each([
    [['--epochs', 'ten'], "--epochs must be an integer, got 'ten'"],
    [['--epochs', '1.5'], "--epochs must be an integer, got '1.5'"],
    [['--epochs', '0'], '--epochs must be between 1 and 1000000, got 0'],
    [['--batch=-1'], '--batch must be between 0 and 1000000, got -1'],
    [['--hidden=-3'], '--hidden must be between 1 and 100000, got -3'],
    [['--samples', '4'], '--samples must be between 5 and 10000000, got 4'],
    [['--seed=-1'], '--seed must be between 0 and 2147483647, got -1'],
    [['--dataset', 'cifar'], "--dataset must be one of seed, mnist, got 'cifar'"],
    [['--precision', 'fp16'], "--precision must be one of fp32, tf32, got 'fp16'"],
    [['--backend', 'tpu'], "unknown backend 'tpu': known backends are cpu, webgpu, cuda, gpujs (or all)"],
    [['--report', ' '], '--report needs a file name, e.g. --report demo.html'],
    [['train'], "unexpected argument 'train': the only subcommand is 'doctor'"],
    [['doctor', 'doctor'], "unexpected argument 'doctor': the only subcommand is 'doctor'"],
    [['doctor', '--', 'cpu'], "unexpected argument 'cpu': the only subcommand is 'doctor'"],
    [['--epoch', '3'], "Unknown option '--epoch'"],
    [['--epochs'], "Option '--epochs <value>' argument missing"],
  ])('rejects %j', (argv, message) => {
    expect(() => parseDemoArgs(argv)).toThrow(UsageError);
    expect(() => parseDemoArgs(argv)).toThrow(message);
  });
});

describe('parseBackends', () => {
  it('accepts all, lists and repeats, without duplicates', () => {
    expect(parseBackends([])).toBe('all');
    expect(parseBackends(['cpu', 'all'])).toBe('all');
    expect(parseBackends(['CPU, cuda', 'cpu'])).toEqual(['cpu', 'cuda']);
  });
});

describe('trainCount', () => {
  it('splits 80/20 and keeps both sides non-empty', () => {
    expect(trainCount(1000)).toBe(800);
    expect(trainCount(5)).toBe(4);
  });
});
