import { afterEach, describe, expect, it, vi } from 'vitest';
import { mlpData } from '../data.js';

// onnxruntime-node stood in for by a fake whose session answers `outputs`: an answer that is
// not the seed MLP's [rows, classes] probabilities is the reason in the bench's row.
async function onnxPeer(outputs: Record<string, { dims: number[] }>): Promise<{ peer: typeof import('./onnx.js'); released: () => boolean }> {
  let released = false;
  vi.resetModules();
  vi.doMock('onnxruntime-node', () => ({
    InferenceSession: {
      create: async () => ({
        run: async () => Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { ...v, dispose: () => undefined }])),
        release: async () => { released = true; },
      }),
    },
    Tensor: class {},
    env: { versions: { common: '1.30.0' } },
  }));
  return { peer: await import('./onnx.js'), released: () => released };
}

const d = mlpData({ rows: 4, features: 3, hidden: 5, classes: 2 });
const policy = { warmup: 0, minReps: 1, maxReps: 1, budgetMs: 0 };

describe('the onnxruntime peer', () => {
  afterEach(() => {
    vi.doUnmock('onnxruntime-node');
  });

  it('says which outputs it got when the model has no y, and releases the session', async () => {
    const { peer, released } = await onnxPeer({ logits: { dims: [4, 2] } });
    await expect(peer.prepareOnnxForward(d, policy)).rejects.toThrow("onnxruntime-node: the seed MLP's forward pass returned no output 'y' (outputs: logits), expected [4, 2]");
    expect(released()).toBe(true);
  });

  it("says the shape of a y that is not [rows, classes]", async () => {
    const { peer } = await onnxPeer({ y: { dims: [4, 5] } });
    await expect(peer.prepareOnnxForward(d, policy)).rejects.toThrow("onnxruntime-node: the seed MLP's forward pass returned 'y' of shape [4, 5], expected [4, 2]");
  });

  it('times a session that answers [rows, classes]', async () => {
    const { peer } = await onnxPeer({ y: { dims: [4, 2] } });
    const r = await peer.prepareOnnxForward(d, policy);
    expect(r.peer).toBe('onnxruntime-node 1.30.0');
    expect(r.item).toBe('forward 4 rows');
  });
});
