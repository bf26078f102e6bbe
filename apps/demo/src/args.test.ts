import { describe, expect, it } from 'vitest';
import { DEFAULTS, UsageError, USAGE, parseDemoArgs, trainCount } from './args.js';

describe('parseDemoArgs', () => {
  it('uses small defaults', () => {
    expect(parseDemoArgs([])).toEqual({ ...DEFAULTS, logEvery: 1, help: false });
    expect(DEFAULTS).toEqual({ epochs: 10, hidden: 256, samples: 1000, seed: 0 });
  });

  it('reads the full seed experiment', () => {
    expect(parseDemoArgs(['--hidden', '1000', '--epochs', '100'])).toEqual({
      epochs: 100, hidden: 1000, samples: 1000, seed: 0, logEvery: 10, help: false,
    });
  });

  it('accepts --name=value and --log-every', () => {
    expect(parseDemoArgs(['--epochs=25', '--samples=50', '--seed=7', '--log-every=5'])).toMatchObject({
      epochs: 25, samples: 50, seed: 7, logEvery: 5,
    });
    expect(parseDemoArgs(['--epochs', '25']).logEvery).toBe(3); // epochs / 10, rounded
    expect(parseDemoArgs(['--epochs', '4']).logEvery).toBe(1);
  });

  it('reads --help and -h', () => {
    expect(parseDemoArgs(['--help']).help).toBe(true);
    expect(parseDemoArgs(['-h']).help).toBe(true);
    expect(USAGE).toContain('--hidden 1000 --epochs 100');
  });

  it.each([
    [['--epochs', 'ten'], "--epochs must be an integer, got 'ten'"],
    [['--epochs', '1.5'], "--epochs must be an integer, got '1.5'"],
    [['--epochs', '1e3'], "--epochs must be an integer, got '1e3'"],
    [['--epochs', '0'], '--epochs must be between 1 and 1000000, got 0'],
    [['--hidden=-3'], '--hidden must be between 1 and 100000, got -3'],
    [['--samples', '4'], '--samples must be between 5 and 10000000, got 4'],
    [['--seed=-1'], '--seed must be between 0 and 2147483647, got -1'],
    [['--log-every', '0'], '--log-every must be between 1 and 1000000, got 0'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseDemoArgs(argv)).toThrow(UsageError);
    expect(() => parseDemoArgs(argv)).toThrow(message);
  });

  it('rejects unknown options, positionals and missing values', () => {
    expect(() => parseDemoArgs(['--epoch', '3'])).toThrow(UsageError);
    expect(() => parseDemoArgs(['--epoch', '3'])).toThrow(/--epoch/);
    expect(() => parseDemoArgs(['100'])).toThrow(UsageError);
    expect(() => parseDemoArgs(['--epochs'])).toThrow(UsageError);
  });
});

describe('trainCount', () => {
  it('splits 80/20 and keeps both sides non-empty', () => {
    expect(trainCount(1000)).toBe(800);
    expect(trainCount(5)).toBe(4);
    expect(trainCount(50)).toBe(40);
  });
});
