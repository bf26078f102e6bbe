import { describe, expect, it } from 'vitest';
import { ProtoWriter, mlpOnnxModel } from './onnx-model.js';

describe('ProtoWriter', () => {
  it('writes varint fields as protobuf does', () => {
    expect([...new ProtoWriter().int(1, 150).finish()]).toEqual([0x08, 0x96, 0x01]);
    expect([...new ProtoWriter().int(2, 0).finish()]).toEqual([0x10, 0x00]);
  });
  it('writes negative ints as ten-byte varints', () => {
    const b = new ProtoWriter().int(1, -1).finish();
    expect(b.length).toBe(11);
    expect(b[10]).toBe(0x01);
  });
  it('writes strings and embedded messages length-delimited', () => {
    expect([...new ProtoWriter().string(2, 'testing').finish()]).toEqual([0x12, 0x07, ...new TextEncoder().encode('testing')]);
    expect([...new ProtoWriter().message(3, (w) => w.int(1, 150)).finish()]).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01]);
  });
});

describe('mlpOnnxModel', () => {
  it('holds the weights as raw float32 initializers and declares opset 17', () => {
    const w = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i);
    const bytes = mlpOnnxModel({ features: 3, hidden: 2, classes: 2, w1: w(6), w2: w(4), w3: w(4) });
    expect(bytes[0]).toBe(0x08); // ir_version field
    expect(bytes[1]).toBe(8);
    const text = new TextDecoder('latin1').decode(bytes);
    for (const op of ['MatMul', 'Relu', 'Softmax', 'w1', 'w2', 'w3']) expect(text).toContain(op);
    // opset_import { domain: '', version: 17 } closes the model.
    expect([...bytes.slice(-6)]).toEqual([0x42, 0x04, 0x0a, 0x00, 0x10, 17]);
    expect(bytes.length).toBeGreaterThan(4 * 14);
  });
});
