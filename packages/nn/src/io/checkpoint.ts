/**
 * Saving and loading a model's parameters (and an optimizer's state) as safetensors bytes,
 * and its configuration as JSON. Works in browsers (ArrayBuffer / Uint8Array in and out);
 * `@symgrad/nn/node` adds files.
 *
 * Tensor names are the shared variables' names: `dense_0/kernel`, … for parameters and
 * `optimizer/…` for optimizer state. The header metadata records the format, the model
 * configuration and the optimizer's hyper-parameters. Loading checks every tensor against
 * the model (missing, unexpected, wrong dtype or shape) before it changes anything.
 */
import type { NDArray, SharedVariable } from '@symgrad/core';
import { FunctionalModel } from '../layers/functional.js';
import { savedVariables, type Model } from '../layers/model.js';
import { modelFromConfig, type ConfigurableModel, type ModelConfig } from '../layers/model-config.js';
import { Sequential } from '../layers/sequential.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { decodeSafetensors, encodeSafetensors, type DecodeOptions } from './safetensors.js';

/**
 * The `format` metadata value of symgrad-nn weight files.
 *
 * @example
 * ```ts
 * decodeSafetensors(bytes).metadata.format === WEIGHTS_FORMAT;
 * ```
 */
export const WEIGHTS_FORMAT = 'symgrad-nn/weights';

export interface SaveOptions {
  /** Also save this optimizer's state (learning rate, step counter, slots). */
  readonly optimizer?: Optimizer;
  /** Extra metadata strings. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface LoadOptions extends DecodeOptions {
  /** Also load this optimizer's state (the file must hold it). */
  readonly optimizer?: Optimizer;
}

function configOf(model: Model): ModelConfig | undefined {
  const m = model as Partial<{ toConfig(): ModelConfig }>;
  return typeof m.toConfig === 'function' ? m.toConfig() : undefined;
}

function named(who: string, vars: readonly SharedVariable[]): Map<string, SharedVariable> {
  const out = new Map<string, SharedVariable>();
  vars.forEach((v, i) => {
    if (v.name === undefined) throw new Error(`${who}: variable ${i} ${v.describe()} has no name; saved tensors are identified by name`);
    if (out.has(v.name)) throw new Error(`${who}: two variables are named '${v.name}'`);
    out.set(v.name, v);
  });
  return out;
}

function stateVars(who: string, model: Model, optimizer: Optimizer | undefined): Map<string, SharedVariable> {
  const params = model.parameters();
  if (optimizer) optimizer.build(params);
  const vars = named(who, [...savedVariables(model), ...(optimizer ? optimizer.state() : [])]);
  return vars;
}

/**
 * The model's parameters (and the optimizer's state) as safetensors bytes. Reads values from
 * the device first, so it sees the latest training step.
 *
 * @example
 * ```ts
 * const bytes = await saveWeights(model, { optimizer });   // Uint8Array
 * ```
 */
export async function saveWeights(model: Model, options: SaveOptions = {}): Promise<Uint8Array> {
  const vars = stateVars('saveWeights', model, options.optimizer);
  const tensors = new Map<string, NDArray>();
  for (const [name, v] of vars) tensors.set(name, await v.read());
  const config = configOf(model);
  return encodeSafetensors(tensors, {
    ...options.metadata,
    format: WEIGHTS_FORMAT,
    version: '1',
    ...(config ? { model: JSON.stringify(config) } : {}),
    ...(options.optimizer ? { optimizer: JSON.stringify(options.optimizer.getConfig()) } : {}),
  });
}

/**
 * Loads parameters (and optimizer state) saved by `saveWeights` or any safetensors writer
 * using the same tensor names. Throws, changing nothing, when the file is malformed, lacks a
 * tensor, holds one the model does not have, or has a dtype or shape that disagrees.
 *
 * @example
 * ```ts
 * await loadWeights(model, bytes, { optimizer });
 * ```
 */
export function loadWeights(model: Model, bytes: ArrayBuffer | ArrayBufferView, options: LoadOptions = {}): void {
  const { tensors } = decodeSafetensors(bytes, options);
  const vars = stateVars('loadWeights', model, options.optimizer);
  const missing = [...vars.keys()].filter((n) => !tensors.has(n));
  if (missing.length) {
    const opt = missing.every((n) => n.startsWith('optimizer/')) && ![...tensors.keys()].some((n) => n.startsWith('optimizer/'))
      ? ' (the file holds no optimizer state: save it with saveWeights(model, { optimizer }), or load without { optimizer })'
      : '';
    throw new Error(`loadWeights: the file lacks ${missing.length} tensor${missing.length > 1 ? 's' : ''} the model needs: ${missing.slice(0, 8).map((n) => `'${n}'`).join(', ')}${missing.length > 8 ? ', …' : ''}${opt}`);
  }
  const unexpected = [...tensors.keys()].filter((n) => !vars.has(n) && !(n.startsWith('optimizer/') && !options.optimizer));
  if (unexpected.length) {
    throw new Error(`loadWeights: the file holds ${unexpected.length} tensor${unexpected.length > 1 ? 's' : ''} the model does not have: ${unexpected.slice(0, 8).map((n) => `'${n}'`).join(', ')}${unexpected.length > 8 ? ', …' : ''} (is it the same architecture?)`);
  }
  for (const [name, v] of vars) {
    const t = tensors.get(name)!;
    if (t.dtype !== v.dtype) throw new Error(`loadWeights: tensor '${name}' has dtype ${t.dtype} but the model's variable is ${v.dtype}`);
    const want = v.shape as number[];
    if (t.ndim !== want.length || t.shape.some((d, i) => d !== want[i])) {
      throw new Error(`loadWeights: tensor '${name}' has shape [${t.shape.join(', ')}] but the model's variable has shape [${want.join(', ')}]`);
    }
  }
  for (const [name, v] of vars) v.set(tensors.get(name)!);
}

/**
 * The model configuration (layers and their options) as JSON text.
 *
 * @example
 * ```ts
 * const json = modelToJSON(model);
 * const copy = modelFromJSON(json);   // same architecture, fresh weights
 * ```
 */
export function modelToJSON(model: ConfigurableModel): string {
  if (!(model instanceof Sequential) && !(model instanceof FunctionalModel)) throw new TypeError('modelToJSON: only Sequential and FunctionalModel models have a JSON configuration');
  return JSON.stringify(model.toConfig(), null, 2);
}

/**
 * A model rebuilt from `modelToJSON` text (weights freshly initialized; load them with
 * `loadWeights`).
 *
 * @example
 * ```ts
 * const model = modelFromJSON(json);
 * loadWeights(model, bytes);
 * ```
 */
export function modelFromJSON(json: string): ConfigurableModel {
  if (typeof json !== 'string') throw new TypeError('modelFromJSON: expected JSON text');
  return modelFromConfig(json);
}

/**
 * A model rebuilt from a weights file written by `saveWeights` (whose metadata holds the
 * configuration), with its weights loaded.
 *
 * @example
 * ```ts
 * const model = modelFromWeights(bytes);
 * ```
 */
export function modelFromWeights(bytes: ArrayBuffer | ArrayBufferView, options: LoadOptions = {}): ConfigurableModel {
  const { metadata } = decodeSafetensors(bytes, options);
  if (metadata['format'] !== WEIGHTS_FORMAT || metadata['model'] === undefined) {
    throw new Error('modelFromWeights: the file has no model configuration in its metadata (it was not written by saveWeights of a Sequential or FunctionalModel); build the model and use loadWeights');
  }
  const model = modelFromConfig(metadata['model']);
  loadWeights(model, bytes, options);
  return model;
}
