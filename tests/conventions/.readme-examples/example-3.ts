import { listBackends, fn, T } from '@symgrad/core';
import '@symgrad/backend-cpu';
import { cudaInfo } from '@symgrad/backend-cuda';

console.log(await listBackends());
// without a GPU:
// [ { name: 'cuda', priority: 30, available: false,
//     reason: 'libcuda.so.1 not found (no NVIDIA driver): libcuda.so.1: cannot open shared object file: …; NVRTC not found, cuBLAS not found' },
//   { name: 'cpu', priority: 10, available: true } ]
console.log(cudaInfo()); // addon path, each library's path and version (or why it is missing), device, cache folder

const x = T.matrix('x');
const f = fn([x], T.relu(x).sum(), { backend: 'cuda', precision: 'fp32' }); // throws the reason where CUDA cannot run

export {};
