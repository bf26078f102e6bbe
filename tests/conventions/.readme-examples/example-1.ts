import { T, fn, shared } from '@symgrad/core';
import { grad } from '@symgrad/autodiff';
import '@symgrad/backend-cpu';
import { heNormal } from '@symgrad/nn';

const x = T.matrix('x');
const y = T.ivector('y');
const w = shared(heNormal([4, 3], { seed: 1 }), 'w');
const loss = T.mean(T.categoricalCrossentropy(T.softmax(T.dot(x, w)), y));
const [gw] = grad(loss, [w]);
const train = fn([x, y], loss, { updates: [[w, w.sub(gw.mul(0.1))]] });

const l = await train([[1, 2, 3, 4], [4, 3, 2, 1]], [0, 2]);
l.item(); // the loss before this step's update

export {};
