/**
 * The seed MLP's forward pass as ONNX model bytes, written with a tiny protobuf encoder
 * (no dependency): MatMul → Relu → MatMul → Relu → MatMul → Softmax, weights as float32
 * initializers, input 'x' [rows, features], output 'y' [rows, classes]. Opset 17, IR 8.
 */

/** Appends protobuf wire-format fields to a growing byte list. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.length += bytes.length;
    return this;
  }

  private varint(value: number | bigint): this {
    let v = BigInt(value);
    if (v < 0n) v += 1n << 64n; // negative ints are 10-byte two's complement varints
    const out: number[] = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) b |= 0x80;
      out.push(b);
    } while (v !== 0n);
    return this.push(Uint8Array.from(out));
  }

  private tag(field: number, wire: 0 | 2): this {
    return this.varint((field << 3) | wire);
  }

  /** A varint field (int32, int64, enum). */
  int(field: number, value: number | bigint): this {
    return this.tag(field, 0).varint(value);
  }

  /** A length-delimited bytes field. */
  bytes(field: number, value: Uint8Array): this {
    return this.tag(field, 2).varint(value.length).push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** An embedded message field. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT

/** ValueInfoProto of a float tensor; a string dim is symbolic. */
function valueInfo(w: ProtoWriter, name: string, dims: readonly (number | string)[]): void {
  w.string(1, name).message(2, (type) => type.message(1, (tensor) => {
    tensor.int(1, FLOAT).message(2, (shape) => {
      for (const d of dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
    });
  }));
}

function initializer(w: ProtoWriter, name: string, dims: readonly number[], data: Float32Array): void {
  for (const d of dims) w.int(1, d);
  w.int(2, FLOAT).string(8, name);
  // raw_data is little-endian float32, which is what a Float32Array holds on x86 and ARM.
  w.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function node(w: ProtoWriter, op: string, inputs: readonly string[], output: string): void {
  for (const i of inputs) w.string(1, i);
  w.string(2, output).string(3, `${op}_${output}`).string(4, op);
}

export interface MlpWeights {
  readonly features: number;
  readonly hidden: number;
  readonly classes: number;
  readonly w1: Float32Array;
  readonly w2: Float32Array;
  readonly w3: Float32Array;
}

/** The forward MLP as an ONNX ModelProto; the batch dimension is symbolic ('N'). */
export function mlpOnnxModel(m: MlpWeights): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 8); // ir_version
  w.string(2, '@symgrad/bench');
  w.message(7, (g) => {
    g.message(1, (n) => node(n, 'MatMul', ['x', 'w1'], 'a1'));
    g.message(1, (n) => node(n, 'Relu', ['a1'], 'h1'));
    g.message(1, (n) => node(n, 'MatMul', ['h1', 'w2'], 'a2'));
    g.message(1, (n) => node(n, 'Relu', ['a2'], 'h2'));
    g.message(1, (n) => node(n, 'MatMul', ['h2', 'w3'], 'z'));
    g.message(1, (n) => node(n, 'Softmax', ['z'], 'y')); // opset ≥ 13: axis −1 by default
    g.string(2, 'seed_mlp_forward');
    g.message(5, (t) => initializer(t, 'w1', [m.features, m.hidden], m.w1));
    g.message(5, (t) => initializer(t, 'w2', [m.hidden, m.hidden], m.w2));
    g.message(5, (t) => initializer(t, 'w3', [m.hidden, m.classes], m.w3));
    g.message(11, (v) => valueInfo(v, 'x', ['N', m.features]));
    g.message(12, (v) => valueInfo(v, 'y', ['N', m.classes]));
  });
  w.message(8, (o) => o.string(1, '').int(2, 17)); // opset_import
  return w.finish();
}
