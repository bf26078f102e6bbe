import { describe, expect, it } from 'vitest';
import { measurePrecision } from './testing-fixtures/precision-cases.js';
import './index.js';

// Measures ‖gpujs − reference‖/‖reference‖ against core's float64 evaluator (the README
// quotes these numbers; browser.test.ts measures the same cases on WebGL2) and holds it to
// the design's 1e-4 bound for fp32 (1e-5 for matmul).
describe('precision against the float64 reference', () => {
  it('matmul (unrolled k loop, tails, transposes, alpha/beta/epilogue, long k) and the seed step', async () => {
    const r = await measurePrecision('gpujs');
    console.log(`gpujs matmul relative errors: ${Object.entries(r.matmul).map(([k, v]) => `${k}: ${v.toExponential(2)}`).join('; ')}`);
    console.log(`gpujs seed step relative errors (loss, g1, g2, g3): ${r.seedStep.map((e) => e.toExponential(2)).join(', ')}`);
    for (const [name, e] of Object.entries(r.matmul)) expect(e, name).toBeLessThanOrEqual(1e-5);
    expect(r.seedStep).toHaveLength(4);
    for (const e of r.seedStep) expect(e).toBeLessThanOrEqual(1e-4);
  });
});
