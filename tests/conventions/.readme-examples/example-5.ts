import { T, fn, listBackends } from '@symgrad/core';
import '@symgrad/backend-webgpu';

console.log(await listBackends());
// [ { name: 'webgpu', priority: 20, available: true }, … ]
// or, without WebGPU: { name: 'webgpu', priority: 20, available: false,
//   reason: "no WebGPU implementation: navigator.gpu is not present and the optional 'webgpu' package is not installed (in Node: npm install webgpu)" }

const x = T.vector('x');
const f = fn([x], x.mul(2).sum(), { backend: 'webgpu' });
await f([1, 2, 3]); // NDArray 12

export {};
