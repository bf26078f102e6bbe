/**
 * Which metric scores which output, under which name in the logs: the Trainer's `metrics`
 * option resolved against its losses (Keras's rules: one list for every output, or a list per
 * output; 'accuracy' follows the output's loss).
 */
import type { Loss } from '../losses.js';
import { resolveMetric, type Metric, type MetricName } from '../metrics.js';

/** A metric in `TrainerOptions.metrics`: a name, `topK(k)`, or a `Metric` object. */
export type MetricSpec = MetricName | Metric;

/** A metric as a Trainer reports it: what it computes, the output it scores and its name in the logs. */
export interface ScoredMetric {
  readonly metric: Metric;
  /** The index of the output it scores (0 for a model trained on one). */
  readonly output: number;
  /** Its key in the logs: the metric's name, or `output<i><Name>` with a loss per output (`valOutput1Mae` for validation). */
  readonly name: string;
}

/**
 * The metrics a Trainer reports: `specs` a list for every output or a list per output, each
 * resolved against its output's loss; with a loss per output, named `output<i><Name>` beside
 * `output<i>Loss`. Throws for a name used twice.
 *
 * @example
 * ```ts
 * scoredMetrics([['accuracy'], ['mae']], ['softmaxCrossEntropy', 'meanSquaredError'], true).map((m) => m.name);
 * // ['output0Accuracy', 'output1Mae']
 * ```
 */
export function scoredMetrics(specs: unknown, losses: readonly Loss[], perOutput: boolean): ScoredMetric[] {
  if (!Array.isArray(specs)) throw new TypeError(`Trainer: metrics must be a list such as ['accuracy'] (or one list per output), got ${JSON.stringify(specs)}`);
  const lists = specs.filter((s) => Array.isArray(s)).length;
  if (lists > 0 && lists !== specs.length) throw new TypeError('Trainer: metrics mixes metrics and lists; give one list for every output, or one list per output');
  if (lists > 0 && lists !== losses.length) {
    throw new Error(`Trainer: metrics has ${lists} list${lists === 1 ? '' : 's'} but the model is trained on ${losses.length} output${losses.length === 1 ? '' : 's'}; give one list per output`);
  }
  const perList = (lists > 0 ? specs : losses.map(() => specs)) as readonly (readonly MetricSpec[])[];
  const scored = perList.flatMap((list, output) => list.map((spec): ScoredMetric => {
    const metric = resolveMetric(spec, losses[output]);
    const name = perOutput ? `output${output}${metric.name[0]!.toUpperCase()}${metric.name.slice(1)}` : metric.name;
    return { metric, output, name };
  }));
  const taken = new Set(['loss', 'learningRate', ...(perOutput ? losses.map((_, i) => `output${i}Loss`) : [])]);
  for (const m of scored) {
    if (taken.has(m.name)) throw new Error(`Trainer: metric name '${m.name}' is used twice (or clashes with the loss's logs)`);
    taken.add(m.name);
  }
  return scored;
}
