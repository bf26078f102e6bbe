import '@symgrad/backend-cpu';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dense } from '../layers/dense.js';
import { Sequential } from '../layers/sequential.js';
import { momentum } from '../optimizers/sgd.js';
import { loadModel, loadWeightsFile, saveModel, saveWeightsFile, writeFileAtomic } from './node-files.js';

describe('node files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'symgrad-nn-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes atomically: the target is replaced whole and no temporary file is left', async () => {
    const path = join(dir, 'a.bin');
    await writeFile(path, 'old');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect([...(await readFile(path))]).toEqual([1, 2, 3]);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await expect(writeFileAtomic(join(dir, 'missing', 'x.bin'), 'x')).rejects.toThrow('ENOENT');
  });

  it('saves and loads a model folder with optimizer state', async () => {
    const model = new Sequential([new Dense(3, { activation: 'tanh' }), new Dense(2)], { inputShape: [4], seed: 3 });
    const opt = momentum({ learningRate: 0.05 });
    opt.build(model.parameters());
    opt.state()[1]!.set([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]);
    await saveModel(join(dir, 'm'), model, { optimizer: opt });
    expect((await readdir(join(dir, 'm'))).sort()).toEqual(['model.json', 'weights.safetensors']);
    const opt2 = momentum({ learningRate: 0.5 });
    const loaded = await loadModel(join(dir, 'm'), { optimizer: opt2 });
    expect(loaded.summary()).toBe(model.summary());
    expect(loaded.parameters().map((p) => [...p.get().data])).toEqual(model.parameters().map((p) => [...p.get().data]));
    expect(opt2.state().map((s) => [...s.get().data])).toEqual(opt.state().map((s) => [...s.get().data]));

    const path = join(dir, 'w.safetensors');
    await saveWeightsFile(path, model);
    const other = new Sequential([new Dense(3, { activation: 'tanh' }), new Dense(2)], { inputShape: [4], seed: 4 });
    await loadWeightsFile(path, other);
    expect(other.parameters().map((p) => [...p.get().data])).toEqual(model.parameters().map((p) => [...p.get().data]));
    await expect(loadModel(join(dir, 'nothing'))).rejects.toThrow('ENOENT');
  });
});
