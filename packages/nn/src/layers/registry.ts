/**
 * Layers by class name, so a model configuration (JSON) can be turned back into layers.
 * Built-in layers are registered here; `registerLayer` adds custom ones.
 */
import { ReLU, Sigmoid, Softmax, Tanh, type ActivationName } from './activation.js';
import { Dense, Flatten, type DenseOptions, type Initializer } from './dense.js';
import { MultiHeadAttention } from './attention.js';
import { PositionEmbedding } from './position-embedding.js';
import { TransformerEncoder, type TransformerEncoderOptions } from './transformer.js';
import { TransformerDecoder } from './transformer-decoder.js';
import { Conv1D, Conv2D } from './convolution.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { GRU, LSTM, SimpleRNN, type GRUOptions, type LSTMOptions } from './recurrent.js';
import { Bidirectional, type MergeMode } from './bidirectional.js';
import { Reshape } from './reshape.js';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from './merge.js';
import { BatchNormalization, LayerNormalization, type NormalizationOptions } from './normalization.js';
import { AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D, type Pooling1DOptions, type Pooling2DOptions } from './pooling.js';
import type { Layer, LayerConfig } from './layer.js';
import { FunctionalModel, type FunctionalModelConfig } from './functional.js';
import { ModelLayer } from './model-layer.js';
import { Sequential, type SequentialConfig } from './sequential.js';
import type { Padding } from './spatial.js';

type Factory = (config: Record<string, unknown>) => Layer;

const factories = new Map<string, Factory>();

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const name = (c: Record<string, unknown>): { name?: string } => (str(c['name']) === undefined ? {} : { name: str(c['name'])! });

/**
 * Registers a layer class for `layerFromConfig` (and so for loading saved models).
 *
 * @example
 * ```ts
 * registerLayer('Scale', (c) => new Scale(c.factor as number));
 * ```
 */
export function registerLayer(className: string, factory: Factory): void {
  if (typeof className !== 'string' || !className) throw new TypeError('registerLayer: className must be a non-empty string');
  factories.set(className, factory);
}

/**
 * A layer from its configuration (`{ className, config }`); throws for unknown classes.
 *
 * @example
 * ```ts
 * layerFromConfig({ className: 'Dense', config: { units: 10 } });
 * ```
 */
export function layerFromConfig(spec: LayerConfig): Layer {
  if (typeof spec !== 'object' || spec === null || typeof spec.className !== 'string') {
    throw new TypeError(`layerFromConfig: expected { className, config }, got ${JSON.stringify(spec)}`);
  }
  const f = factories.get(spec.className);
  if (!f) throw new Error(`layerFromConfig: unknown layer class '${spec.className}': register it with registerLayer('${spec.className}', config => new …)`);
  const config = typeof spec.config === 'object' && spec.config !== null ? spec.config : {};
  return f(config);
}

/** The options of a layer with a kernel and a bias (Dense, Conv2D) from its config. */
const kernelOptions = (c: Record<string, unknown>): DenseOptions => ({
  ...(str(c['activation']) === undefined ? {} : { activation: str(c['activation']) as ActivationName }),
  ...(typeof c['useBias'] === 'boolean' ? { useBias: c['useBias'] } : {}),
  ...(str(c['kernelInitializer']) === undefined ? {} : { kernelInitializer: str(c['kernelInitializer']) as Initializer }),
  ...(str(c['biasInitializer']) === undefined ? {} : { biasInitializer: str(c['biasInitializer']) as Initializer }),
  ...(num(c['seed']) === undefined ? {} : { seed: num(c['seed'])! }),
  ...name(c),
});
registerLayer('Dense', (c) => new Dense(num(c['units']) ?? NaN, kernelOptions(c)));
registerLayer('Dropout', (c) => new Dropout(num(c['rate']) ?? NaN, { ...(num(c['seed']) === undefined ? {} : { seed: num(c['seed'])! }), ...name(c) }));
registerLayer('Flatten', (c) => new Flatten(name(c)));
registerLayer('ReLU', (c) => new ReLU(name(c)));
registerLayer('Sigmoid', (c) => new Sigmoid(name(c)));
registerLayer('Tanh', (c) => new Tanh(name(c)));
registerLayer('Softmax', (c) => new Softmax(name(c)));
const normalization = (c: Record<string, unknown>): NormalizationOptions => ({
  ...(num(c['epsilon']) === undefined ? {} : { epsilon: num(c['epsilon'])! }),
  ...(typeof c['center'] === 'boolean' ? { center: c['center'] } : {}),
  ...(typeof c['scale'] === 'boolean' ? { scale: c['scale'] } : {}),
  ...name(c),
});
registerLayer('LayerNormalization', (c) => new LayerNormalization(normalization(c)));
registerLayer('BatchNormalization', (c) => new BatchNormalization({ ...normalization(c), ...(num(c['momentum']) === undefined ? {} : { momentum: num(c['momentum'])! }) }));
const pair = (v: unknown): number | [number, number] | undefined => (Array.isArray(v) ? [v[0] as number, v[1] as number] : num(v));
/** Strides and padding of a windowed layer (Conv2D, pooling) from its config. */
const windowOptions = (c: Record<string, unknown>): Pooling2DOptions => ({
  ...(pair(c['strides']) === undefined ? {} : { strides: pair(c['strides'])! }),
  ...(str(c['padding']) === undefined ? {} : { padding: str(c['padding']) as Pooling2DOptions['padding'] }),
  ...name(c),
});
const groups = (c: Record<string, unknown>): { groups?: number } => (num(c['groups']) === undefined ? {} : { groups: num(c['groups'])! });
registerLayer('Conv2D', (c) => new Conv2D(num(c['filters']) ?? NaN, pair(c['kernelSize']) ?? NaN, {
  ...kernelOptions(c), ...windowOptions(c), ...(pair(c['dilationRate']) === undefined ? {} : { dilationRate: pair(c['dilationRate'])! }), ...groups(c),
}));
registerLayer('Conv1D', (c) => new Conv1D(num(c['filters']) ?? NaN, num(c['kernelSize']) ?? NaN, {
  ...kernelOptions(c),
  ...(num(c['strides']) === undefined ? {} : { strides: num(c['strides'])! }),
  ...(str(c['padding']) === undefined ? {} : { padding: str(c['padding']) as Padding }),
  ...(num(c['dilationRate']) === undefined ? {} : { dilationRate: num(c['dilationRate'])! }),
  ...groups(c),
}));
registerLayer('MaxPooling2D', (c) => new MaxPooling2D(pair(c['poolSize']) ?? 2, windowOptions(c)));
registerLayer('AveragePooling2D', (c) => new AveragePooling2D(pair(c['poolSize']) ?? 2, windowOptions(c)));
const pooling1d = (c: Record<string, unknown>): Pooling1DOptions => ({
  ...(num(c['strides']) === undefined ? {} : { strides: num(c['strides'])! }),
  ...(str(c['padding']) === undefined ? {} : { padding: str(c['padding']) as Padding }),
  ...name(c),
});
registerLayer('MaxPooling1D', (c) => new MaxPooling1D(num(c['poolSize']) ?? 2, pooling1d(c)));
registerLayer('AveragePooling1D', (c) => new AveragePooling1D(num(c['poolSize']) ?? 2, pooling1d(c)));
registerLayer('GlobalAveragePooling2D', (c) => new GlobalAveragePooling2D(name(c)));
registerLayer('GlobalMaxPooling2D', (c) => new GlobalMaxPooling2D(name(c)));
registerLayer('GlobalAveragePooling1D', (c) => new GlobalAveragePooling1D(name(c)));
registerLayer('GlobalMaxPooling1D', (c) => new GlobalMaxPooling1D(name(c)));
registerLayer('Reshape', (c) => new Reshape(Array.isArray(c['targetShape']) ? (c['targetShape'] as number[]) : [], name(c)));
registerLayer('Embedding', (c) => new Embedding(num(c['inputDim']) ?? NaN, num(c['outputDim']) ?? NaN, {
  ...(str(c['embeddingsInitializer']) === undefined ? {} : { embeddingsInitializer: str(c['embeddingsInitializer']) as Initializer }),
  ...(c['maskZero'] === true ? { maskZero: true } : {}),
  ...(num(c['seed']) === undefined ? {} : { seed: num(c['seed'])! }),
  ...name(c),
}));
/** The options of a recurrent layer (SimpleRNN, LSTM, GRU) from its config. */
const recurrent = (c: Record<string, unknown>): LSTMOptions & GRUOptions => {
  const bool = (k: string) => (typeof c[k] === 'boolean' ? { [k]: c[k] as boolean } : {});
  const text = (k: string) => (str(c[k]) === undefined ? {} : { [k]: str(c[k]) });
  return {
    ...text('activation'), ...text('recurrentActivation'), ...text('kernelInitializer'), ...text('recurrentInitializer'), ...text('biasInitializer'),
    ...bool('useBias'), ...bool('returnSequences'), ...bool('returnState'), ...bool('goBackwards'), ...bool('unitForgetBias'), ...bool('resetAfter'),
    ...(num(c['seed']) === undefined ? {} : { seed: num(c['seed'])! }),
    ...(num(c['dropout']) === undefined ? {} : { dropout: num(c['dropout'])! }),
    ...(num(c['recurrentDropout']) === undefined ? {} : { recurrentDropout: num(c['recurrentDropout'])! }),
    ...name(c),
  } as LSTMOptions & GRUOptions;
};
registerLayer('SimpleRNN', (c) => new SimpleRNN(num(c['units']) ?? NaN, recurrent(c)));
registerLayer('LSTM', (c) => new LSTM(num(c['units']) ?? NaN, recurrent(c)));
registerLayer('GRU', (c) => new GRU(num(c['units']) ?? NaN, recurrent(c)));
registerLayer('MultiHeadAttention', (c) => new MultiHeadAttention(num(c['numHeads']) ?? NaN, num(c['keyDim']) ?? NaN, {
  ...(num(c['valueDim']) === undefined ? {} : { valueDim: num(c['valueDim'])! }),
  ...(num(c['dropout']) === undefined ? {} : { dropout: num(c['dropout'])! }),
  ...(typeof c['causal'] === 'boolean' ? { causal: c['causal'] } : {}),
  ...(typeof c['useBias'] === 'boolean' ? { useBias: c['useBias'] } : {}),
  ...(str(c['kernelInitializer']) === undefined ? {} : { kernelInitializer: str(c['kernelInitializer']) as Initializer }),
  ...(str(c['biasInitializer']) === undefined ? {} : { biasInitializer: str(c['biasInitializer']) as Initializer }),
  ...(num(c['seed']) === undefined ? {} : { seed: num(c['seed'])! }),
  ...name(c),
}));
const transformerOptions = (c: Record<string, unknown>): TransformerEncoderOptions => ({
  ...(num(c['keyDim']) === undefined ? {} : { keyDim: num(c['keyDim'])! }),
  ...(num(c['dropout']) === undefined ? {} : { dropout: num(c['dropout'])! }),
  ...(str(c['activation']) === undefined ? {} : { activation: str(c['activation']) as ActivationName }),
  ...(typeof c['normFirst'] === 'boolean' ? { normFirst: c['normFirst'] } : {}),
  ...(num(c['epsilon']) === undefined ? {} : { epsilon: num(c['epsilon'])! }),
  ...(typeof c['causal'] === 'boolean' ? { causal: c['causal'] } : {}),
  ...(num(c['seed']) === undefined ? {} : { seed: num(c['seed'])! }),
  ...name(c),
});
registerLayer('TransformerEncoder', (c) => new TransformerEncoder(num(c['numHeads']) ?? NaN, num(c['ffDim']) ?? NaN, transformerOptions(c)));
registerLayer('TransformerDecoder', (c) => new TransformerDecoder(num(c['numHeads']) ?? NaN, num(c['ffDim']) ?? NaN, transformerOptions(c)));
registerLayer('PositionEmbedding', (c) => new PositionEmbedding({
  ...(str(c['initializer']) === undefined ? {} : { initializer: str(c['initializer']) as Initializer }),
  ...(num(c['seed']) === undefined ? {} : { seed: num(c['seed'])! }),
  ...name(c),
}));
registerLayer('Bidirectional', (c) => {
  const inner = c['layer'];
  if (typeof inner !== 'object' || inner === null) throw new TypeError(`layerFromConfig: Bidirectional needs the wrapped layer's { className, config } in 'layer', got ${JSON.stringify(inner)}`);
  return new Bidirectional(layerFromConfig(inner as LayerConfig), { ...(str(c['mergeMode']) === undefined ? {} : { mergeMode: str(c['mergeMode']) as MergeMode }), ...name(c) });
});
registerLayer('Add', (c) => new Add(name(c)));
registerLayer('Subtract', (c) => new Subtract(name(c)));
registerLayer('Multiply', (c) => new Multiply(name(c)));
registerLayer('Average', (c) => new Average(name(c)));
registerLayer('Maximum', (c) => new Maximum(name(c)));
registerLayer('Minimum', (c) => new Minimum(name(c)));
registerLayer('Concatenate', (c) => new Concatenate({ ...(num(c['axis']) === undefined ? {} : { axis: num(c['axis'])! }), ...name(c) }));
// A model nested in a functional model: its configuration is the model's own.
registerLayer('Sequential', (c) => new ModelLayer(Sequential.fromConfig({ format: 'symgrad-nn/model', version: 1, className: 'Sequential', config: c as unknown as SequentialConfig['config'] })));
registerLayer('FunctionalModel', (c) => new ModelLayer(FunctionalModel.fromConfig({ format: 'symgrad-nn/model', version: 1, className: 'FunctionalModel', config: c as unknown as FunctionalModelConfig['config'] })));
