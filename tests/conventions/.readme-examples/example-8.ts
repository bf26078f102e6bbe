import { T, fn, RandomStreams } from '@symgrad/core';

const x = T.matrix('x');
const srng = new RandomStreams(1234);                  // Theano's RandomStreams
const mask = T.lt(srng.uniform(x), 0.8);               // uniforms shaped like x, in (0, 1)
const noisy = T.add(T.mul(x, T.cast(mask, 'float32')), srng.normal([1, 3]));
const f = fn([x], noisy, { updates: srng.updates() }); // each call draws new numbers

export {};
