/**
 * Keras's recurrent equations in float64, step by step: the reference the recurrent layers'
 * tests compare against.
 */
import type { NDArray } from '@symgrad/core';
import { GRU, LSTM, SimpleRNN, type GRUOptions, type LSTMOptions } from '../layers/recurrent.js';

export type Kind = 'SimpleRNN' | 'LSTM' | 'GRU';
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * Keras's equations in float64, step by step: x [batch, steps, features], kernel
 * [features, gates·units], recurrent [units, gates·units], bias as the layer holds it.
 */
export function reference(kind: Kind, x: NDArray, kernel: NDArray, recurrent: NDArray, bias: NDArray | undefined, o: LSTMOptions & GRUOptions, masks: { input?: NDArray; state?: NDArray } = {}, initial: { h: NDArray; c?: NDArray } | undefined = undefined) {
  const [batch, steps, features] = x.shape as [number, number, number];
  const gates = { SimpleRNN: 1, LSTM: 4, GRU: 3 }[kind];
  const units = recurrent.shape[0]!;
  const width = gates * units;
  const W = kernel.data;
  const U = recurrent.data;
  const resetAfter = o.resetAfter ?? true;
  const inBias = (j: number) => (bias ? bias.data[j]! : 0);
  const recBias = (j: number) => (bias && kind === 'GRU' && resetAfter ? bias.data[width + j]! : 0);
  const outs: number[][][] = [];
  const finals: { h: number[]; c: number[] }[] = [];
  const row = (a: NDArray | undefined, b: number) => (a ? Array.from(a.data.subarray(b * units, (b + 1) * units)) : new Array<number>(units).fill(0));
  for (let b = 0; b < batch; b++) {
    let h = row(initial?.h, b);
    let c = row(initial?.c, b);
    const seq: number[][] = [];
    const order = [...Array(steps).keys()];
    if (o.goBackwards) order.reverse();
    for (const t of order) {
      const xw = Array.from({ length: width }, (_, j) => {
        let acc = inBias(j);
        for (let f = 0; f < features; f++) acc += x.data[(b * steps + t) * features + f]! * (masks.input?.data[b * features + f] ?? 1) * W[f * width + j]!;
        return acc;
      });
      // Recurrent dropout: the state as the recurrent product reads it.
      const hU = (v: number[], from: number, to: number) => Array.from({ length: to - from }, (_, j) => {
        let acc = 0;
        for (let i = 0; i < units; i++) acc += v[i]! * (masks.state?.data[b * units + i] ?? 1) * U[i * width + from + j]!;
        return acc;
      });
      if (kind === 'SimpleRNN') {
        const r = hU(h, 0, units);
        h = h.map((_, j) => Math.tanh(xw[j]! + r[j]!));
      } else if (kind === 'LSTM') {
        const r = hU(h, 0, width);
        const z = xw.map((v, j) => v + r[j]!);
        c = c.map((cp, j) => sigmoid(z[units + j]!) * cp + sigmoid(z[j]!) * Math.tanh(z[2 * units + j]!));
        h = c.map((cj, j) => sigmoid(z[3 * units + j]!) * Math.tanh(cj));
      } else if (resetAfter) {
        const rec = hU(h, 0, width).map((v, j) => v + recBias(j));
        const z = h.map((_, j) => sigmoid(xw[j]! + rec[j]!));
        const r = h.map((_, j) => sigmoid(xw[units + j]! + rec[units + j]!));
        const cand = h.map((_, j) => Math.tanh(xw[2 * units + j]! + r[j]! * rec[2 * units + j]!));
        h = h.map((hp, j) => z[j]! * hp + (1 - z[j]!) * cand[j]!);
      } else {
        const rec = hU(h, 0, 2 * units);
        const z = h.map((_, j) => sigmoid(xw[j]! + rec[j]!));
        const r = h.map((_, j) => sigmoid(xw[units + j]! + rec[units + j]!));
        const recH = hU(h.map((hp, j) => r[j]! * hp), 2 * units, width);
        const cand = h.map((_, j) => Math.tanh(xw[2 * units + j]! + recH[j]!));
        h = h.map((hp, j) => z[j]! * hp + (1 - z[j]!) * cand[j]!);
      }
      seq.push([...h]);
    }
    outs.push(seq);
    finals.push({ h, c });
  }
  const out = o.returnSequences ? outs.flat(2) : outs.map((s) => s.at(-1)!).flat();
  return {
    out: Float64Array.from(out), shape: o.returnSequences ? [batch, steps, units] : [batch, units],
    h: Float64Array.from(finals.flatMap((f) => f.h)), c: Float64Array.from(finals.flatMap((f) => f.c)),
  };
}

export const make = (kind: Kind, units: number, o: LSTMOptions & GRUOptions) =>
  (kind === 'SimpleRNN' ? new SimpleRNN(units, o) : kind === 'LSTM' ? new LSTM(units, o) : new GRU(units, o));

