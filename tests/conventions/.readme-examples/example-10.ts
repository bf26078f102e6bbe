import '@symgrad/backend-cpu';
import { T, fn } from '@symgrad/core';
import { Sequential, Dense, softmaxCrossEntropy, sgd, stateUpdates } from '@symgrad/nn';
import { loadMnist } from '@symgrad/nn/node';

const { train } = loadMnist({ train: 8000, test: 2000, seed: 0 });
const model = new Sequential([new Dense(256, { activation: 'relu' }), new Dense(10)], { inputShape: [784], seed: 1 });
const x = T.matrix('x');
const y = T.ivector('y');
const loss = softmaxCrossEntropy(model.apply(x, { training: true }), y);
const opt = sgd({ learningRate: 0.1, momentum: 0.9 });
// stateUpdates advances the Dropout layers' random states and the BatchNormalization layers'
// moving statistics, if the model has any.
const step = fn([x, y], loss, { updates: [...opt.updates(loss, model.parameters()), ...stateUpdates(loss)] });
for (let epoch = 0; epoch < 10; epoch++) {
  for (const batch of train.batches(64, { shuffle: true, seed: 1, epoch })) await step(batch.x, batch.y);
}

export {};
