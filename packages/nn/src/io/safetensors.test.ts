import { NDArray } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from './safetensors.js';

/** Builds a safetensors file by hand: u64 LE header length, the header text as given, then data. */
function handmade(header: string, data: number[] = []): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  let n = h.length;
  for (let i = 0; i < 8; i++) {
    out[i] = n % 256;
    n = Math.floor(n / 256);
  }
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** Little-endian bytes of float32 / int32 / float64 values, written without typed-array views. */
function f32(...v: number[]): number[] {
  const dv = new DataView(new ArrayBuffer(4 * v.length));
  v.forEach((x, i) => dv.setFloat32(4 * i, x, true));
  return [...new Uint8Array(dv.buffer)];
}
function i32(...v: number[]): number[] {
  const dv = new DataView(new ArrayBuffer(4 * v.length));
  v.forEach((x, i) => dv.setInt32(4 * i, x, true));
  return [...new Uint8Array(dv.buffer)];
}
function f64(...v: number[]): number[] {
  const dv = new DataView(new ArrayBuffer(8 * v.length));
  v.forEach((x, i) => dv.setFloat64(8 * i, x, true));
  return [...new Uint8Array(dv.buffer)];
}

describe('safetensors', () => {
  it('round-trips every dtype exactly, with metadata', () => {
    const tensors = {
      'a/kernel': new NDArray('float32', [2, 3], Float32Array.from([1.5, -0, NaN, Infinity, 1e-45, 3.4e38])),
      b: new NDArray('float64', [2], Float64Array.from([Math.PI, -1e-300])),
      c: new NDArray('int32', [3], Int32Array.from([-2147483648, 0, 2147483647])),
      d: new NDArray('bool', [2, 2], Uint8Array.from([1, 0, 0, 1])),
      scalar: new NDArray('float32', [], Float32Array.from([7])),
      empty: new NDArray('float32', [0, 5]),
    };
    const bytes = encodeSafetensors(tensors, { format: 'test', note: 'ü' });
    const headerLen = new DataView(bytes.buffer).getUint32(0, true);
    expect(headerLen % 8).toBe(0);
    const { tensors: back, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ format: 'test', note: 'ü' });
    for (const [name, a] of Object.entries(tensors)) {
      const b = back.get(name)!;
      expect(b.dtype).toBe(a.dtype);
      expect(b.shape).toEqual(a.shape);
      expect(new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength)).toEqual(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength));
    }
    // Decoding accepts an ArrayBuffer and a view into a larger buffer too.
    const padded = new Uint8Array(bytes.length + 16);
    padded.set(bytes, 16);
    expect(decodeSafetensors(padded.subarray(16)).tensors.size).toBe(6);
    expect(decodeSafetensors(bytes.slice().buffer).tensors.size).toBe(6);
  });

  it('reads a file from an independent writer (bytes built by hand)', () => {
    // Offsets in a different order from the names, header padded with spaces, no metadata sorting.
    const header = '{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]},"__metadata__":{"format":"pt"},'
      + '"step":{"dtype":"I32","shape":[],"data_offsets":[0,4]},"flag":{"dtype":"BOOL","shape":[3],"data_offsets":[4,7]},'
      + '"pad":{"dtype":"BOOL","shape":[1],"data_offsets":[7,8]},"d":{"dtype":"F64","shape":[1],"data_offsets":[24,32]}}   ';
    const data = [...i32(42), 1, 0, 1, 0, ...f32(1, 2.5, -3, 0.125), ...f64(-0.1)];
    const { tensors, metadata } = decodeSafetensors(handmade(header, data));
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.get('w')!.toArray()).toEqual([[1, 2.5], [-3, 0.125]]);
    expect(tensors.get('step')!.shape).toEqual([]);
    expect(tensors.get('step')!.item()).toBe(42);
    expect(tensors.get('flag')!.toArray()).toEqual([true, false, true]);
    expect(tensors.get('d')!.item()).toBe(-0.1);
  });

  describe('rejects malformed files with a clear error', () => {
    const ok = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const cases: [string, Uint8Array, string][] = [
      ['empty file', new Uint8Array(0), 'truncated file: 0 bytes, fewer than the 8-byte header length'],
      ['truncated length field', new Uint8Array(5), 'truncated file: 5 bytes'],
      ['header length past the end', handmade(ok, f32(1, 2)).subarray(0, 20), 'header length 54 runs past the end of the file (12 bytes after the length field)'],
      ['huge header length', (() => { const b = handmade(ok, f32(1, 2)); b[7] = 0xff; return b; })(), 'runs past the end of the file'],
      ['non-JSON header', handmade('{"w": nope}', f32(1, 2)), 'the header is not valid JSON ('],
      ['header not an object', handmade('[1, 2, 3]'), 'the header must be a JSON object'],
      ['invalid UTF-8', (() => { const b = handmade('{"a":{}}'); b[10] = 0xff; return b; })(), 'the header is not valid UTF-8'],
      ['header too short', handmade('{'), 'header of 1 bytes is too short to be a JSON object'],
      ['metadata not an object', handmade('{"__metadata__":[]}'), '__metadata__ must be an object of strings, got an array'],
      ['too many dimensions', handmade(`{"w":{"dtype":"F32","shape":[${new Array(33).fill(1).join(',')}],"data_offsets":[0,4]}}`, f32(1)), "tensor 'w': shape has 33 dimensions (at most 32)"],
      ['unknown dtype', handmade('{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]), "tensor 'w': unsupported dtype \"F16\" (symgrad reads F32, F64, I32, BOOL)"],
      ['bad shape', handmade('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', f32(1)), "tensor 'w': shape must be an array of non-negative integers, got [-1]"],
      ['fractional shape', handmade('{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}', f32(1)), "tensor 'w': shape must be an array of non-negative integers"],
      ['bad offsets', handmade('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', f32(1)), "tensor 'w': data_offsets must be [begin, end] with non-negative integers, got [0]"],
      ['begin after end', handmade('{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', f32(1)), "tensor 'w': data_offsets [4, 0] has begin after end"],
      ['offsets out of range', handmade('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', f32(1)), "tensor 'w': data_offsets [0, 8] run past the end of the data (4 bytes)"],
      ['size not shape × dtype', handmade('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', f32(1, 2)), "tensor 'w': shape [3] of F32 needs 12 bytes but data_offsets [0, 8] hold 8"],
      ['huge shape', handmade('{"w":{"dtype":"F64","shape":[100000000,100000000],"data_offsets":[0,8]}}', f64(1)), "tensor 'w': shape [100000000, 100000000] of F64 needs more than 9007199254740991 bytes but data_offsets [0, 8] hold 8"],
      ['overlap', handmade('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32(1, 2)), "tensor 'b' at bytes [4, 8) overlaps another tensor ending at 8"],
      ['hole', handmade('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32(1, 2)), 'the data has a hole: bytes [0, 4) before tensor \'a\' belong to no tensor'],
      ['trailing bytes', handmade('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32(1, 2)), 'the data section is 8 bytes but the tensors cover 4: trailing bytes belong to no tensor'],
      ['bad metadata', handmade('{"__metadata__":{"a":1}}'), "__metadata__ value of 'a' must be a string, got a number"],
      ['entry not an object', handmade('{"w":5}'), "tensor 'w': header entry must be an object with dtype, shape and data_offsets"],
      ['bad bool byte', handmade('{"b":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}', [7]), "BOOL tensor 'b' holds byte 7 at element 0; booleans must be 0 or 1"],
    ];
    for (const [what, bytes, message] of cases) {
      it(what, () => {
        expect(() => decodeSafetensors(bytes)).toThrow(SafetensorsError);
        expect(() => decodeSafetensors(bytes)).toThrow(message);
      });
    }

    it('caps the header size', () => {
      expect(() => decodeSafetensors(handmade(ok, f32(1, 2)), { maxHeaderBytes: 16 })).toThrow('header of 54 bytes exceeds the limit of 16 bytes');
    });

    it('rejects things that are not bytes', () => {
      expect(() => decodeSafetensors('abc' as never)).toThrow('expected an ArrayBuffer or Uint8Array, got a string');
    });
  });

  it('encoding errors', () => {
    expect(() => encodeSafetensors({ __metadata__: NDArray.zeros([1]) })).toThrow("encodeSafetensors: '__metadata__' is reserved and cannot name a tensor");
    expect(() => encodeSafetensors({ a: [1] as never })).toThrow("encodeSafetensors: tensor 'a' is not an NDArray");
    expect(() => encodeSafetensors({}, { a: 1 as never })).toThrow("encodeSafetensors: metadata value of 'a' must be a string");
  });
});
