import { T, fn, shared, NDArray, setBackend } from '@symgrad/core';
import { grad } from '@symgrad/autodiff';
import '@symgrad/backend-cpu';
import { heNormal } from '@symgrad/nn';

setBackend('cpu');
const x = T.matrix('x');               // float32 inputs, any number of rows
const y = T.ivector('y');              // int32 labels
const w1 = shared(heNormal([1000, 1000], { seed: 1 }), 'w1');
const w2 = shared(heNormal([1000, 1000], { seed: 2 }), 'w2');
const w3 = shared(heNormal([1000, 10], { seed: 3 }), 'w3');

const h1 = T.relu(T.dot(x, w1));
const h2 = T.relu(T.dot(h1, w2));
const yPred = T.softmax(T.dot(h2, w3));
const loss = T.mean(T.categoricalCrossentropy(yPred, y));
const [g1, g2, g3] = grad(loss, [w1, w2, w3]);

const train = fn([x, y], loss, {
  updates: [[w1, w1.sub(g1.mul(0.1))], [w2, w2.sub(g2.mul(0.1))], [w3, w3.sub(g3.mul(0.1))]],
});
const predict = fn([x], yPred);

const X = new NDArray('float32', [800, 1000]);     // your data here
const labels = new NDArray('int32', [800]);
const l = await train(X, labels);                  // one full-batch SGD step; an NDArray
console.log(l.item());
const probabilities = await predict(X);            // NDArray float32 [800, 10]

export {};
