import { describe, expect, it } from 'vitest';
import { createProgressView, estimator, evaluationLine } from './progress.js';
import { capture } from './testing/capture.js';

const p = { epoch: 10, epochs: 100, step: 10, totalSteps: 100, loss: 1.35, record: { epoch: 10, loss: 1.35093, trainAccuracy: 0.84875, testAccuracy: 0.1 } };

describe('progress', () => {
  it('prints a line per evaluated epoch outside a terminal', () => {
    const c = capture(false);
    const view = createProgressView(c.stream, false);
    const bar = view.bar('cpu', 100);
    bar.update({ ...p, record: undefined } as never);
    bar.update(p);
    bar.done('done: 1.0 ms/step');
    view.stop();
    expect(c.text()).toBe('cpu    epoch  10/100  loss 1.3509  train acc  84.9%  test acc  10.0%\ncpu    done: 1.0 ms/step\n');
  });

  it('is silent for --json', () => {
    const c = capture(false);
    const view = createProgressView(c.stream, true);
    view.bar('cpu', 1).update(p);
    view.log('x');
    expect(c.text()).toBe('');
  });

  it('has no evaluation line for an epoch without accuracy', () => {
    expect(evaluationLine('cpu', { ...p, record: { epoch: 10, loss: 1 } })).toBeUndefined();
  });

  it('estimates the rest of the run once, from the steps after the compiling first one', () => {
    let t = 0;
    const est = estimator('cpu', 100, 3, () => t);
    t = 5000; // the first step compiles
    expect(est(1)).toBeUndefined();
    t = 5300;
    expect(est(2)).toBeUndefined();
    t = 5600;
    expect(est(3)).toBe('cpu    ~300.0 ms per step: about 29.1 s left for 97 more steps');
    t = 5900;
    expect(est(4)).toBeUndefined();
  });
});
