import { T, fn, setBackend } from '@symgrad/core';
import '@symgrad/backend-cpu';   // registers the backend 'cpu' (priority 10)

setBackend('cpu');               // optional: it is also picked automatically
const x = T.vector('x');
const f = fn([x], x.mul(2).sum());
(await f([1, 2, 3])).item();     // 12
f.sync([1, 2, 3]).item();        // 12, read synchronously (cpu supports it)

export {};
