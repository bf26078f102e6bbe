/**
 * What every model shares: the contract the Trainer and save/load rely on, the saved
 * configuration's envelope, and the summary table.
 */
import type { SharedVariable, Variable } from '@symgrad/core';
import type { ApplyOptions } from './layer.js';

/** What the Trainer and save/load need from a model. */
export interface Model {
  /**
   * The symbolic output for a batch `x` ([batch, …inputShape]), or for one batch per input
   * of a model of several inputs (a `FunctionalModel`).
   */
  apply(x: Variable | readonly Variable[], options?: ApplyOptions): Variable;
  /** Every output of a model of several (a FunctionalModel's): what the Trainer applies for a loss per output. */
  applyOutputs?(x: Variable | readonly Variable[], options?: ApplyOptions): Variable[];
  /** The trainable parameters: named shared variables, in a stable order. */
  parameters(): SharedVariable[];
  /** State saved with the parameters but not trained (moving statistics), if the model has any. */
  stateVariables?(): SharedVariable[];
}

/** What a checkpoint holds of a model, and what restoring its best weights sets: its parameters, then its state. @internal */
export function savedVariables(model: Model): SharedVariable[] {
  return [...model.parameters(), ...(model.stateVariables?.() ?? [])];
}

/** The envelope of a saved model configuration (JSON): its format, version and class. */
export interface ModelConfigEnvelope<C extends string, B> {
  readonly format: 'symgrad-nn/model';
  readonly version: 1;
  readonly className: C;
  readonly config: B;
}

/**
 * A saved configuration (or its JSON text) checked up to its body: JSON, the format and the
 * version, with messages that start with `who`. @internal
 */
export function readModelConfig(who: string, config: unknown): { className: unknown; config: unknown } {
  let c: unknown = config;
  if (typeof config === 'string') {
    try {
      c = JSON.parse(config);
    } catch (err) {
      throw new Error(`${who}: the model configuration is not valid JSON (${(err as Error).message})`);
    }
  }
  const o = c as Partial<ModelConfigEnvelope<string, unknown>> | null;
  if (typeof o !== 'object' || o === null || o.format !== 'symgrad-nn/model') {
    throw new Error(`${who}: not a symgrad-nn model configuration (expected format 'symgrad-nn/model')`);
  }
  if (o.version !== 1) throw new Error(`${who}: unsupported configuration version ${JSON.stringify(o.version)} (this release reads version 1)`);
  return { className: o.className, config: o.config };
}

/** The number of scalars in some shared variables. @internal */
export function countElements(vars: readonly SharedVariable[]): number {
  return vars.reduce((n, p) => n + (p.shape as number[]).reduce((a, b) => a * b, 1), 0);
}

/**
 * A model summary (Keras's): a table of one row per layer (or call), then the totals, with
 * trainable and non-trainable counts where the model has untrained state. @internal
 */
export function renderSummary(name: string, header: readonly string[], rows: readonly (readonly string[])[], trainable: number, untrained: number): string {
  const count = (n: number): string => n.toLocaleString('en-US');
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  // The third column holds counts, right-aligned.
  const line = (cells: readonly string[]): string => cells.map((s, c) => (c === 2 ? s.padStart(widths[c]!) : s.padEnd(widths[c]!))).join('   ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('   ');
  return [
    `Model: ${name}`,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `Total params: ${count(trainable + untrained)}`,
    ...(untrained > 0 ? [`Trainable params: ${count(trainable)}`, `Non-trainable params: ${count(untrained)}`] : []),
  ].join('\n');
}
