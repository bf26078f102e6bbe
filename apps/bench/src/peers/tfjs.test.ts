import { afterEach, describe, expect, it, vi } from 'vitest';
import { mlpData } from '../data.js';

// tfjs stood in for by a fake (the real one loads slowly and does not fail on demand): each
// way tfjs can fail shows as the reason in the bench's row, not as a crash.
interface FakeTf { initializes: boolean; loss: number }

function fakeTf(o: FakeTf): unknown {
  let current = 'cpu';
  const tensor = (): unknown => ({ dispose: () => undefined, toFloat: tensor, dataSync: () => [o.loss] });
  return {
    version: { tfjs: '4.22.0' },
    removeBackend: () => undefined,
    setBackend: async (b: string) => {
      if (o.initializes) current = b;
      return o.initializes;
    },
    getBackend: () => current,
    ready: async () => undefined,
    env: () => ({ getBool: () => false }),
    variable: tensor, tensor1d: tensor, tensor2d: tensor, oneHot: tensor,
    train: { sgd: () => ({ minimize: tensor, dispose: () => undefined }) },
  };
}

/** peers/tfjs.js loaded afresh on a fake tfjs and wasm backend package. */
async function tfjsPeer(tf: FakeTf, wasm: object = { setWasmPaths: () => undefined }): Promise<typeof import('./tfjs.js')> {
  vi.resetModules();
  vi.doMock('@tensorflow/tfjs', () => ({ default: fakeTf(tf) }));
  vi.doMock('@tensorflow/tfjs-backend-wasm', () => wasm);
  return import('./tfjs.js');
}

const d = mlpData({ rows: 4, features: 3, hidden: 5, classes: 2 });
const policy = { warmup: 0, minReps: 1, maxReps: 1, budgetMs: 0 };

describe('the tfjs peers, on a tfjs that fails', () => {
  afterEach(() => {
    vi.doUnmock('@tensorflow/tfjs');
    vi.doUnmock('@tensorflow/tfjs-backend-wasm');
  });

  it('say when the wasm backend package is not the one expected', async () => {
    const peer = await tfjsPeer({ initializes: true, loss: 1 }, { setWasmPaths: undefined, default: {} });
    await expect(peer.prepareTfjsForward(d, 'wasm', policy)).rejects.toThrow('@tensorflow/tfjs-backend-wasm has no setWasmPaths');
  });

  it('name the backend that did not initialize', async () => {
    const peer = await tfjsPeer({ initializes: false, loss: 1 });
    await expect(peer.prepareTfjsSeedStep(d, 'wasm', policy)).rejects.toThrow("tfjs backend 'wasm' did not initialize");
    await expect(peer.prepareTfjsKernel({ name: 'softmax 2×3', kind: 'softmax', rows: 2, cols: 3 }, 'cpu', policy)).rejects.toThrow("tfjs backend 'cpu' did not initialize");
  });

  it('refuse to time a seed step whose first loss is not finite, naming the backend', async () => {
    const peer = await tfjsPeer({ initializes: true, loss: Number.NaN });
    await expect(peer.prepareTfjsSeedStep(d, 'cpu', policy)).rejects.toThrow('seed step on tfjs-cpu: the first loss is NaN');
    const ok = await (await tfjsPeer({ initializes: true, loss: 2.3 })).prepareTfjsSeedStep(d, 'wasm', policy);
    expect(ok.peer).toBe('tfjs-wasm 4.22.0');
  });
});
