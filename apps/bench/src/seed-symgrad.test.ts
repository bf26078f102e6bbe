import { describe, expect, it } from 'vitest';
import { mlpData } from './data.js';
import { prepareSeedStep } from './seed-symgrad.js';

const policy = { warmup: 0, minReps: 1, maxReps: 1, budgetMs: 0 };

describe('the symgrad seed step', () => {
  it('refuses to time a step whose first loss is not finite, naming the item and peer', async () => {
    const d = mlpData({ rows: 4, features: 3, hidden: 5, classes: 2 });
    d.w3.fill(Number.NaN);
    await expect(prepareSeedStep(d, 'O2', 'symgrad cpu O2', policy)).rejects.toThrow('seed step on symgrad cpu O2: the first loss is NaN');
    await expect(prepareSeedStep(d, 'O0', 'symgrad cpu O0', policy, 'sweep', 'batch 4, hidden 5')).rejects.toThrow('batch 4, hidden 5 on symgrad cpu O0: the first loss is NaN');
  });
});
