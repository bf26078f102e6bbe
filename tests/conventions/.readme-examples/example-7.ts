import { T, fn, shared, NDArray } from '@symgrad/core';
import '@symgrad/backend-cpu';

const x = T.matrix('x');                                  // float32, 2-d, any size
const w = shared(NDArray.from([[1, 0], [0, 2]]), 'w');    // persists across calls
const f = fn([x], T.relu(T.dot(x, w)), { updates: [[w, w.mul(0.5)]] });

const out = await f([[1, -1], [2, 3]]);   // NDArray float32 [2, 2]
out.toArray();                            // [[1, 0], [2, 6]]
w.get().toArray();                        // [[0.5, 0], [0, 1]] — updated after the call

export {};
