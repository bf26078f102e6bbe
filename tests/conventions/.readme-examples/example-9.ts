import '@symgrad/backend-cpu';
import { Sequential, Dense, Trainer, adam, accuracy, confusionMatrix } from '@symgrad/nn';
import { loadMnist, saveModel } from '@symgrad/nn/node';

const { train, test } = loadMnist({ train: 8000, test: 2000, seed: 0 });
const model = new Sequential([
  new Dense(256, { activation: 'relu', kernelInitializer: 'heNormal' }),
  new Dense(10),
], { inputShape: [784], seed: 1 });
console.log(model.summary());

const optimizer = adam({ learningRate: 1e-3 });
const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer, metrics: ['accuracy'] });
const run = trainer.fit(train, { epochs: 10, batchSize: 64, validationData: test });
for await (const ev of run) {
  if (ev.type === 'epochEnd') console.log(ev.epoch, ev.logs.loss, ev.logs.valAccuracy);
}
const scores = await trainer.predict(test.x);
console.log(accuracy(scores, test.y), confusionMatrix(scores, test.y, 10).toArray());
await saveModel('checkpoints/mnist', model, { optimizer });

export {};
