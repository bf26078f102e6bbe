/**
 * onnxruntime-node 1.30 peer: forward-only inference of the seed MLP (ONNX has no training
 * step here), on the CPU execution provider with 2 intra-op threads, all graph optimizations.
 */
import { forwardFlops, type RepeatPolicy, type Runnable } from '../harness.js';
import type { MlpData } from '../data.js';
import { mlpOnnxModel } from './onnx-model.js';

type Ort = typeof import('onnxruntime-node');

async function load(): Promise<Ort> {
  const mod = (await import('onnxruntime-node')) as unknown as Ort & { default?: Ort };
  return (mod.InferenceSession ? mod : mod.default) as Ort;
}

/** The seed MLP's forward pass through onnxruntime-node: the session created and run once. */
export async function prepareOnnxForward(d: MlpData, policy: RepeatPolicy, threads = 2): Promise<Runnable> {
  const ort = await load();
  const { rows, features, hidden, classes } = d.shape;
  const model = mlpOnnxModel({ features, hidden, classes, w1: d.w1, w2: d.w2, w3: d.w3 });
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // Spinning intra-op threads keep both cores busy for a while after each run and so slow
    // whichever peer takes the next turn (symgrad's forward measured 36 ms right after
    // onnxruntime, 20 ms alone); every other peer's threads sleep between runs.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const x = new ort.Tensor('float32', d.x, [rows, features]);
  const run = async (): Promise<void> => {
    const out = await session.run({ x });
    const y = out['y'];
    if (!y || y.dims[1] !== classes) {
      const got = y ? `'y' of shape [${y.dims.join(', ')}]` : `no output 'y' (outputs: ${Object.keys(out).join(', ') || 'none'})`;
      throw new Error(`onnxruntime-node: the seed MLP's forward pass returned ${got}, expected [${rows}, ${classes}]`);
    }
    y.dispose();
  };
  try {
    await run();
  } catch (err) {
    await session.release();
    throw err;
  }
  return {
    group: 'forward', item: `forward ${rows} rows`, peer: onnxPeerName(ort.env.versions.common), policy,
    flops: forwardFlops(rows, features, hidden, classes), note: `cpu EP, ${threads} intra-op threads (not spinning)`,
    run, dispose: () => session.release(),
  };
}

/** The pinned version names rows of an onnxruntime that failed to load. */
export function onnxPeerName(version = '1.30.0'): string {
  return `onnxruntime-node ${version}`;
}
