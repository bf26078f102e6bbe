/**
 * Progress bars, one per backend, with cli-progress: a widely used, maintained library
 * (multi-bar support, throttled redraws, its own `log` above the bars, and it stays silent
 * when stdout is not a terminal). Outside a terminal the demo prints a line per evaluation
 * instead, so CI logs stay readable.
 */
import cliProgress from 'cli-progress';
import type { Progress } from './experiment.js';
import { pct } from './table.js';

export interface BackendProgress {
  update(p: Progress): void;
  done(note: string): void;
}

export interface ProgressView {
  bar(backend: string, totalSteps: number): BackendProgress;
  log(line: string): void;
  stop(): void;
}

/** One line per evaluated epoch, e.g. `cpu    epoch  10/100  loss 2.3012  train acc 11.2%  test acc 9.5%`. */
export function evaluationLine(backend: string, p: Progress): string | undefined {
  const r = p.record;
  if (!r || r.testAccuracy === undefined) return undefined;
  const w = String(p.epochs).length;
  return `${backend.padEnd(6)} epoch ${String(r.epoch).padStart(w)}/${p.epochs}  loss ${r.loss.toFixed(4)}  train acc ${pct(r.trainAccuracy!).padStart(6)}  test acc ${pct(r.testAccuracy).padStart(6)}`;
}

/**
 * Estimates the whole run from the steps after the first (which compiles): call after every
 * step; returns a line once, at the `at`-th step (or the last, if sooner).
 */
export function estimator(backend: string, totalSteps: number, at = 3, now = (): number => performance.now()): (step: number) => string | undefined {
  let t1: number | undefined;
  let said = false;
  return (step) => {
    if (said) return undefined;
    if (step === 1) {
      t1 = now();
      return undefined;
    }
    if (t1 === undefined || step < Math.min(at, totalSteps)) return undefined;
    said = true;
    const perStep = (now() - t1) / (step - 1);
    const left = perStep * (totalSteps - step);
    const fmt = (ms: number): string => (ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`);
    return `${backend.padEnd(6)} ~${perStep < 1000 ? `${perStep.toFixed(1)} ms` : fmt(perStep)} per step: about ${fmt(left)} left for ${totalSteps - step} more steps`;
  };
}

/** Bars on a terminal (stream.isTTY), evaluation lines elsewhere; `quiet` prints nothing (--json). */
export function createProgressView(stream: NodeJS.WriteStream, quiet: boolean): ProgressView {
  if (quiet) return { bar: () => ({ update() {}, done() {} }), log() {}, stop() {} };
  if (!stream.isTTY) {
    return {
      bar: (backend, totalSteps) => {
        const estimate = estimator(backend, totalSteps);
        return {
          update: (p) => {
            const eta = estimate(p.step);
            if (eta) stream.write(`${eta}\n`);
            const line = evaluationLine(backend, p);
            if (line) stream.write(`${line}\n`);
          },
          done: (note) => stream.write(`${backend.padEnd(6)} ${note}\n`),
        };
      },
      log: (line) => stream.write(`${line}\n`),
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar({
    stream,
    format: '{backend} [{bar}] {percentage}% | step {value}/{total} | epoch {epoch} | loss {loss} | eta {eta_formatted} | {note}',
    barsize: 30,
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    fps: 10,
  }, cliProgress.Presets.shades_classic);
  return {
    bar(backend, totalSteps) {
      const b = multi.create(totalSteps, 0, { backend: backend.padEnd(6), epoch: '-', loss: '-', note: '' });
      return {
        update(p) {
          const line = evaluationLine(backend, p);
          b.update(p.step, { epoch: `${p.epoch}/${p.epochs}`, loss: p.loss.toFixed(4), note: line ? `test acc ${pct(p.record!.testAccuracy!)}` : '' });
        },
        done(note) {
          b.update({ note });
        },
      };
    },
    log: (line) => multi.log(`${line}\n`),
    stop: () => multi.stop(),
  };
}
