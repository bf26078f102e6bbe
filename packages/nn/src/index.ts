/**
 * @symgrad/nn — neural networks on symgrad: initializers, layers (dense, convolutions,
 * recurrent, attention and transformer blocks, …), Sequential and functional models (several
 * inputs and outputs, shared layers, nested models), losses built from core ops, optimizers
 * as symbolic update lists with state in shared variables, learning-rate schedules, a
 * backend-agnostic training loop with callbacks and an async event stream, metrics, text
 * generation, datasets, and safetensors save/load.
 *
 * This entry uses no Node built-ins (it runs in browsers); `@symgrad/nn/node` adds files and
 * the MNIST loader.
 *
 * @example
 * ```ts
 * import '@symgrad/backend-cpu';
 * import { Sequential, Dense, Trainer, adam } from '@symgrad/nn';
 * const model = new Sequential([
 *   new Dense(256, { activation: 'relu', kernelInitializer: 'heNormal' }),
 *   new Dense(10),
 * ], { inputShape: [784], seed: 1 });
 * const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
 * await trainer.fit(train, { epochs: 10, batchSize: 64, validationData: test });
 * ```
 */
export {
  zeros, constant, uniform, normal, glorotUniform, glorotNormal, heUniform, heNormal, orthogonal, fans,
  type SeedOptions, type UniformOptions, type NormalOptions, type OrthogonalOptions,
} from './initializers.js';
export { philox4x32, seedToKey, fillUniform01, fillStandardNormal } from './philox.js';
export { PhiloxStream, deriveSeed, permutation } from './random-stream.js';

export { Layer, randomStateUpdates, stateUpdates, type ApplyOptions, type BuildContext, type LayerConfig, type MultiApplyOptions } from './layers/layer.js';
export { Dense, Flatten, type DenseOptions, type Initializer, type InitializerName } from './layers/dense.js';
export { Conv1D, Conv2D, type Conv1DOptions, type Conv2DOptions } from './layers/convolution.js';
export { Embedding, type EmbeddingOptions } from './layers/embedding.js';
export { GRU, LSTM, SimpleRNN, type GatedRecurrentOptions, type GRUOptions, type LSTMOptions, type RecurrentOptions } from './layers/recurrent.js';
export { Bidirectional, type BidirectionalOptions, type MergeMode } from './layers/bidirectional.js';
export { MultiHeadAttention, type MultiHeadAttentionOptions } from './layers/attention.js';
export { TransformerEncoder, type TransformerEncoderOptions } from './layers/transformer.js';
export { TransformerDecoder, type TransformerDecoderOptions } from './layers/transformer-decoder.js';
export { PositionEmbedding, type PositionEmbeddingOptions } from './layers/position-embedding.js';
export { Reshape } from './layers/reshape.js';
export {
  MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling2D, GlobalAveragePooling1D, GlobalMaxPooling1D,
  type Pooling1DOptions, type Pooling2DOptions,
} from './layers/pooling.js';
export type { Padding } from './layers/spatial.js';
export { ReLU, Sigmoid, Tanh, Softmax, activation, type ActivationName } from './layers/activation.js';
export { Dropout, type DropoutOptions } from './layers/dropout.js';
export { BatchNormalization, LayerNormalization, type BatchNormalizationOptions, type NormalizationOptions } from './layers/normalization.js';
export { Sequential, type FunctionalModelLike, type SequentialConfig, type SequentialOptions } from './layers/sequential.js';
export type { Model } from './layers/model.js';
export { FunctionalModel, type FunctionalModelConfig, type FunctionalModelOptions, type FunctionalModelSpec, type TensorRef } from './layers/functional.js';
export { Input, SymbolicTensor, type InputDType, type InputOptions, type LayerCall } from './layers/symbolic-tensor.js';
export { Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, type ConcatenateOptions } from './layers/merge.js';
export { modelFromConfig, type ConfigurableModel, type ModelConfig } from './layers/model-config.js';
export { ModelLayer, type NestableModel } from './layers/model-layer.js';
export { registerLayer, layerFromConfig } from './layers/registry.js';

export {
  softmaxCrossEntropy, categoricalCrossentropy, sigmoidCrossEntropy, binaryCrossentropy, meanSquaredError, resolveLoss,
  type CrossEntropyOptions, type Loss, type LossName,
} from './losses.js';
export {
  accuracy, topKAccuracy, binaryAccuracy, confusionMatrix, labelsOf, correctCount, symbolicAccuracy, accuracyMetric, accuracyIgnoring, topK,
  binaryAccuracyMetric, meanAbsoluteErrorMetric, meanSquaredErrorMetric, resolveMetric,
  type Metric, type MetricName,
} from './metrics.js';
export type { MetricSpec, ScoredMetric } from './train/scored-metrics.js';

export { Optimizer, type OptimizerOptions, type UpdatePair } from './optimizers/optimizer.js';
export { Sgd, sgd, momentum, nesterov, type SgdOptions } from './optimizers/sgd.js';
export { Adam, adam, adamW, type AdamOptions, type AdamWOptions } from './optimizers/adam.js';
export { RmsProp, rmsprop, type RmsPropOptions } from './optimizers/rmsprop.js';
export { clipByGlobalNorm, globalNorm } from './optimizers/clip.js';
export {
  schedule, constantSchedule, stepDecay, exponentialDecay, cosineDecay, warmup, joinSchedules,
  type Schedule, type ScheduleUnit,
} from './optimizers/schedules.js';

export { Trainer, fit, type TrainerOptions, type FitOptions, type Data } from './train/trainer.js';
export type { TrimPaddingOptions } from './train/trim-padding.js';
export { generate, type GenerateOptions } from './generate.js';
export { FitRun, NonFiniteLossError } from './train/fit-run.js';
export {
  earlyStopping, callback,
  type WatchOptions, type Callback, type TrainControl, type BatchInfo, type History, type Logs, type TrainEvent, type EarlyStoppingOptions,
} from './train/callbacks.js';
export { EventLog, yieldToEventLoop } from './train/event-log.js';

export { Dataset, takeRows, type Batch, type BatchOptions } from './data/dataset.js';
export { padSequences, type PadSequencesOptions } from './data/sequences.js';
export { randomClassification, type RandomClassificationOptions } from './data/synthetic.js';
export { randomShift, type Augment, type AugmentInfo, type RandomShiftOptions } from './data/augment.js';

export {
  encodeSafetensors, decodeSafetensors, SafetensorsError, DEFAULT_MAX_HEADER_BYTES,
  type SafetensorsDType, type DecodedSafetensors, type DecodeOptions,
} from './io/safetensors.js';
export {
  saveWeights, loadWeights, modelToJSON, modelFromJSON, modelFromWeights, WEIGHTS_FORMAT,
  type SaveOptions, type LoadOptions,
} from './io/checkpoint.js';
