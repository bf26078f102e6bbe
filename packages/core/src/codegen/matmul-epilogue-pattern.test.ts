import { describe, expect, it } from 'vitest';
import { matmulEpiloguePattern } from './matmul-epilogue-pattern.js';
import { sx } from './scalar-expr.js';

describe('matmulEpiloguePattern', () => {
  const x = sx.input(0, 'float32');
  const h = sx.input(1, 'float32');
  const zero = sx.const(0, 'float32');
  const mask = sx.where(sx.binary('gt', h, zero, 'bool'), x, zero, 'float32');

  it('recognizes relu(x), where(h > 0, x, 0), x + b and relu(x + b), the epilogues GEMM libraries fuse', () => {
    expect(matmulEpiloguePattern(sx.unary('relu', x), 'float32', undefined)).toBe('relu');
    expect(matmulEpiloguePattern(mask, 'float32', 'float32')).toBe('reluMask');
    expect(matmulEpiloguePattern(sx.binary('add', x, h, 'float32'), 'float32', 'float32')).toBe('bias');
    expect(matmulEpiloguePattern(sx.binary('add', h, x, 'float32'), 'float32', 'float32')).toBe('bias');
    expect(matmulEpiloguePattern(sx.unary('relu', sx.binary('add', x, h, 'float32')), 'float32', 'float32')).toBe('reluBias');
    expect(matmulEpiloguePattern(sx.unary('relu', sx.binary('add', sx.input(0, 'float64'), sx.input(1, 'float64'), 'float64')), 'float64', 'float64')).toBe('reluBias');
  });

  it('matches nothing else', () => {
    expect(matmulEpiloguePattern(sx.unary('relu', x), 'float64', undefined)).toBeUndefined();
    expect(matmulEpiloguePattern(sx.unary('tanh', x), 'float32', undefined)).toBeUndefined();
    expect(matmulEpiloguePattern(sx.unary('relu', h), 'float32', 'float32')).toBeUndefined();
    expect(matmulEpiloguePattern(mask, 'float32', 'float64')).toBeUndefined();
    expect(matmulEpiloguePattern(sx.where(sx.binary('gt', h, sx.const(-0, 'float32'), 'bool'), x, zero, 'float32'), 'float32', 'float32')).toBeUndefined();
    expect(matmulEpiloguePattern(sx.where(sx.binary('ge', h, zero, 'bool'), x, zero, 'float32'), 'float32', 'float32')).toBeUndefined();
    expect(matmulEpiloguePattern(sx.where(sx.binary('gt', h, zero, 'bool'), zero, x, 'float32'), 'float32', 'float32')).toBeUndefined();
    // A bias stored in another dtype, a difference, a bias added twice, tanh of a bias.
    expect(matmulEpiloguePattern(sx.binary('add', x, h, 'float32'), 'float32', 'float64')).toBeUndefined();
    expect(matmulEpiloguePattern(sx.binary('sub', x, h, 'float32'), 'float32', 'float32')).toBeUndefined();
    expect(matmulEpiloguePattern(sx.binary('add', h, h, 'float32'), 'float32', 'float32')).toBeUndefined();
    expect(matmulEpiloguePattern(sx.unary('tanh', sx.binary('add', x, h, 'float32')), 'float32', 'float32')).toBeUndefined();
  });
});

