import { describe, expect, it } from 'vitest';
import { prepareSeedStepOn } from './gpujs.js';

const policy = { warmup: 0, minReps: 1, maxReps: 1, budgetMs: 0 };

describe('the gpujs seed step item', () => {
  it('refuses to time a step whose first loss is not finite, naming the backend', async () => {
    // No rows: the mean loss over an empty batch is NaN.
    await expect(prepareSeedStepOn('cpu', 'symgrad cpu O2', policy, { rows: 0, features: 3, hidden: 5, classes: 2 })).rejects.toThrow('seed step on cpu: the first loss is NaN');
  });
});
