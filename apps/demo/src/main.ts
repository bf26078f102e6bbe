#!/usr/bin/env node
/**
 * The seed experiment on the CPU backend: an MLP FEATURES → hidden → hidden → CLASSES with
 * relu and softmax, mean categorical cross-entropy against int32 labels, full-batch SGD.
 * Run `pnpm demo -- --help` for the options.
 */
import { T, fn, shared, setBackend } from '@symgrad/core';
import { grad } from '@symgrad/autodiff';
import '@symgrad/backend-cpu';
import { heNormal } from '@symgrad/nn';
import { CLASSES, FEATURES, LEARNING_RATE, USAGE, UsageError, parseDemoArgs, trainCount } from './args.js';
import { accuracy, randomSplit, stepFlops } from './data.js';

const NOTE = `Note: the labels are random and do not depend on the inputs, so nothing learned here can
generalize: test accuracy stays near chance (${(100 / CLASSES).toFixed(0)}%) however far the training loss falls.
A falling loss and rising train accuracy are memorization. This demo measures that training
runs and how fast, not learning.`;

async function main(argv: readonly string[]): Promise<number> {
  let opts;
  try {
    opts = parseDemoArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`error: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const { epochs, hidden, samples, seed, logEvery } = opts;
  const nTrain = trainCount(samples);
  const { xTrain, yTrain, xTest, yTest } = randomSplit(samples, FEATURES, CLASSES, nTrain, seed);

  setBackend('cpu');
  const x = T.matrix('x');
  const y = T.ivector('y');
  const w1 = shared(heNormal([FEATURES, hidden], { seed: seed + 2 }), 'w1');
  const w2 = shared(heNormal([hidden, hidden], { seed: seed + 3 }), 'w2');
  const w3 = shared(heNormal([hidden, CLASSES], { seed: seed + 4 }), 'w3');
  const h1 = T.relu(T.dot(x, w1));
  const h2 = T.relu(T.dot(h1, w2));
  const yPred = T.softmax(T.dot(h2, w3));
  const loss = T.mean(T.categoricalCrossentropy(yPred, y));
  const [g1, g2, g3] = grad(loss, [w1, w2, w3]);
  const train = fn([x, y], loss, {
    updates: [
      [w1, w1.sub(g1.mul(LEARNING_RATE))],
      [w2, w2.sub(g2.mul(LEARNING_RATE))],
      [w3, w3.sub(g3.mul(LEARNING_RATE))],
    ],
  });
  const predict = fn([x], yPred);

  const flops = stepFlops(nTrain, FEATURES, hidden, CLASSES);
  console.log(`symgrad demo: MLP ${FEATURES} → ${hidden} → ${hidden} → ${CLASSES}, ${nTrain} train / ${samples - nTrain} test samples, ` +
    `${epochs} epochs, lr ${LEARNING_RATE}, seed ${seed}, CPU backend (${(flops / 1e9).toPrecision(3)} GFLOP per step)`);
  console.log(NOTE);
  console.log('');

  const times: number[] = [];
  let window: number[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    const l = await train(xTrain, yTrain);
    const ms = performance.now() - t0;
    const value = l.item();
    if (!Number.isFinite(value)) {
      console.error(`epoch ${epoch}: the loss is ${value}; stopping`);
      return 1;
    }
    if (epoch > 1) {
      times.push(ms);
      window.push(ms);
    }
    if (epoch === 1 || epoch % logEvery === 0 || epoch === epochs) {
      const testAcc = accuracy(await predict(xTest), yTest);
      const trainAcc = accuracy(await predict(xTrain), yTrain);
      const timing = epoch === 1 ? `${ms.toFixed(1)} ms (first step, includes compilation)` : `${mean(window).toFixed(1)} ms/step`;
      console.log(`epoch ${String(epoch).padStart(String(epochs).length)}  loss ${value.toFixed(4)}  ` +
        `train acc ${pct(trainAcc)}  test acc ${pct(testAcc)}  ${timing}`);
      window = [];
    }
  }
  if (times.length) {
    const med = median(times);
    console.log(`\nmedian ${med.toFixed(1)} ms/step over ${times.length} steps (${(flops / 1e6 / med).toPrecision(3)} GFLOP/s)`);
  }
  console.log(`test accuracy is chance level (~${(100 / CLASSES).toFixed(0)}%) by construction: the labels are random.`);
  return 0;
}

const pct = (a: number): string => `${(100 * a).toFixed(1).padStart(5)}%`;
const mean = (xs: readonly number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  },
);
