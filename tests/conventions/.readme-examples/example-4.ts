import { T, fn, getBackend } from '@symgrad/core';
import '@symgrad/backend-gpujs';

(await getBackend('gpujs')).capabilities.device; // 'gpu.js (WebGL2)' in a browser, 'gpu.js (webasm)' in Node
const x = T.vector('x');
const f = fn([x], x.mul(2).sum(), { backend: 'gpujs' });
await f([1, 2, 3]); // NDArray 12

export {};
