/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian u64 header length N, N bytes of JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } }`,
 * then the raw little-endian tensor bytes, offsets relative to the end of the header.
 *
 * Files are untrusted: `decodeSafetensors` checks the header length against the buffer
 * before decoding anything, caps the header size, and checks every entry (dtype, shape,
 * offsets in range, no overlap and no holes, size = shape × dtype size) before it copies a
 * byte, so a malformed file throws a clear Error and never makes it allocate more than the
 * file's own size.
 */
import { kindOf, NDArray, type DType, type TypedArray } from '@symgrad/core';

/** The safetensors dtypes symgrad reads and writes. */
export type SafetensorsDType = 'F32' | 'F64' | 'I32' | 'BOOL';

const TO_ST: Record<DType, SafetensorsDType> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };
const FROM_ST: Record<SafetensorsDType, { dtype: DType; bytes: number }> = {
  F32: { dtype: 'float32', bytes: 4 }, F64: { dtype: 'float64', bytes: 8 }, I32: { dtype: 'int32', bytes: 4 }, BOOL: { dtype: 'bool', bytes: 1 },
};

/**
 * The largest header `decodeSafetensors` accepts by default (as the reference
 * implementation: 100 MB); lower it with `{ maxHeaderBytes }`.
 *
 * @example
 * ```ts
 * decodeSafetensors(bytes, { maxHeaderBytes: DEFAULT_MAX_HEADER_BYTES / 100 });
 * ```
 */
export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;

/**
 * An Error for a malformed or unsupported safetensors file.
 *
 * @example
 * ```ts
 * try { decodeSafetensors(bytes); } catch (e) { if (e instanceof SafetensorsError) console.error(e.message); }
 * ```
 */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function toBytes(input: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new SafetensorsError(`expected an ArrayBuffer or Uint8Array, got ${kindOf(input)}`);
}

function swapInPlace(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

/**
 * Encodes named tensors (and optional string metadata) as safetensors bytes. Tensors are
 * laid out in name order; the header is padded with spaces to a multiple of 8 bytes.
 *
 * @example
 * ```ts
 * const bytes = encodeSafetensors({ 'dense_0/kernel': w.get() }, { format: 'symgrad-nn' });
 * ```
 */
export function encodeSafetensors(tensors: Readonly<Record<string, NDArray>> | ReadonlyMap<string, NDArray>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const entries = (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)) as [string, NDArray][];
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`encodeSafetensors: metadata value of '${k}' must be a string`);
    }
    header['__metadata__'] = { ...metadata };
  }
  let offset = 0;
  for (const [name, a] of entries) {
    if (name === '__metadata__') throw new TypeError("encodeSafetensors: '__metadata__' is reserved and cannot name a tensor");
    if (!(a instanceof NDArray)) throw new TypeError(`encodeSafetensors: tensor '${name}' is not an NDArray`);
    const size = a.data.byteLength;
    header[name] = { dtype: TO_ST[a.dtype], shape: [...a.shape], data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  view.setUint32(4, Math.floor(json.length / 2 ** 32), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, a] of entries) {
    const bytes = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    out.set(bytes, at);
    if (!LITTLE_ENDIAN) swapInPlace(out.subarray(at, at + bytes.length), a.data.BYTES_PER_ELEMENT);
    at += bytes.length;
  }
  return out;
}

/** What `decodeSafetensors` returns. */
export interface DecodedSafetensors {
  /** Tensors by name, in file order. */
  readonly tensors: Map<string, NDArray>;
  /** The `__metadata__` strings (empty if the file has none). */
  readonly metadata: Record<string, string>;
}

export interface DecodeOptions {
  /** The largest header accepted, in bytes; 100 MB by default. */
  readonly maxHeaderBytes?: number;
}

interface Entry {
  readonly name: string;
  readonly st: SafetensorsDType;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

/**
 * Decodes safetensors bytes, checking everything first (see the module comment); throws a
 * `SafetensorsError` naming the problem for a malformed file.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = decodeSafetensors(await (await fetch(url)).arrayBuffer());
 * tensors.get('dense_0/kernel'); // NDArray
 * ```
 */
export function decodeSafetensors(input: ArrayBuffer | ArrayBufferView, options: DecodeOptions = {}): DecodedSafetensors {
  const bytes = toBytes(input);
  const cap = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (bytes.length < 8) throw new SafetensorsError(`truncated file: ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const headerLen = hi * 2 ** 32 + lo;
  if (headerLen > bytes.length - 8) {
    throw new SafetensorsError(`header length ${headerLen} runs past the end of the file (${bytes.length - 8} bytes after the length field): the file is truncated or not safetensors`);
  }
  if (headerLen > cap) throw new SafetensorsError(`header of ${headerLen} bytes exceeds the limit of ${cap} bytes`);
  if (headerLen < 2) throw new SafetensorsError(`header of ${headerLen} bytes is too short to be a JSON object`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    throw new SafetensorsError('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(`the header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsError('the header must be a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const name of Object.keys(header)) {
    const value = (header as Record<string, unknown>)[name];
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SafetensorsError(`__metadata__ must be an object of strings, got ${kindOf(value)}`);
      for (const k of Object.keys(value)) {
        const v = (value as Record<string, unknown>)[k];
        if (typeof v !== 'string') throw new SafetensorsError(`__metadata__ value of '${k}' must be a string, got ${kindOf(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(checkEntry(name, value, dataLen));
  }
  // Offsets must tile the data buffer exactly: sorted, each starting where the last ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin < at) throw new SafetensorsError(`tensor '${e.name}' at bytes [${e.begin}, ${e.end}) overlaps another tensor ending at ${at}`);
    if (e.begin > at) throw new SafetensorsError(`the data has a hole: bytes [${at}, ${e.begin}) before tensor '${e.name}' belong to no tensor`);
    at = e.end;
  }
  if (at !== dataLen) throw new SafetensorsError(`the data section is ${dataLen} bytes but the tensors cover ${at}: ${at < dataLen ? 'trailing bytes belong to no tensor' : 'the file is truncated'}`);
  const tensors = new Map<string, NDArray>();
  for (const e of entries) {
    const { dtype, bytes: width } = FROM_ST[e.st];
    const copy = bytes.slice(dataStart + e.begin, dataStart + e.end);
    if (!LITTLE_ENDIAN) swapInPlace(copy, width);
    const data = makeTyped(dtype, copy.buffer);
    if (dtype === 'bool') {
      const bad = data.findIndex((v) => v !== 0 && v !== 1);
      if (bad >= 0) throw new SafetensorsError(`BOOL tensor '${e.name}' holds byte ${data[bad]} at element ${bad}; booleans must be 0 or 1`);
    }
    tensors.set(e.name, new NDArray(dtype, e.shape, data));
  }
  return { tensors, metadata };
}

function makeTyped(dtype: DType, buffer: ArrayBuffer): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(buffer);
    case 'float64': return new Float64Array(buffer);
    case 'int32': return new Int32Array(buffer);
    case 'bool': return new Uint8Array(buffer);
  }
}

function checkEntry(name: string, value: unknown, dataLen: number): Entry {
  const where = `tensor '${name}'`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SafetensorsError(`${where}: header entry must be an object with dtype, shape and data_offsets`);
  const o = value as Record<string, unknown>;
  const st = o['dtype'];
  if (typeof st !== 'string' || !Object.prototype.hasOwnProperty.call(FROM_ST, st)) {
    throw new SafetensorsError(`${where}: unsupported dtype ${JSON.stringify(st)} (symgrad reads ${Object.keys(FROM_ST).join(', ')})`);
  }
  const shape = o['shape'];
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    throw new SafetensorsError(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)?.slice(0, 80)}`);
  }
  if (shape.length > 32) throw new SafetensorsError(`${where}: shape has ${shape.length} dimensions (at most 32)`);
  const offs = o['data_offsets'];
  if (!Array.isArray(offs) || offs.length !== 2 || offs.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    throw new SafetensorsError(`${where}: data_offsets must be [begin, end] with non-negative integers, got ${JSON.stringify(offs)?.slice(0, 80)}`);
  }
  const [begin, end] = offs as [number, number];
  if (begin > end) throw new SafetensorsError(`${where}: data_offsets [${begin}, ${end}] has begin after end`);
  if (end > dataLen) throw new SafetensorsError(`${where}: data_offsets [${begin}, ${end}] run past the end of the data (${dataLen} bytes)`);
  const width = FROM_ST[st as SafetensorsDType].bytes;
  // The expected byte size (plain arithmetic, nothing allocated), stopping once it is
  // beyond exact integers.
  let expected = (shape as number[]).includes(0) ? 0 : width;
  for (const d of expected === 0 ? [] : (shape as number[])) {
    expected *= d;
    if (expected > Number.MAX_SAFE_INTEGER) break;
  }
  if (expected !== end - begin) {
    const needs = expected > Number.MAX_SAFE_INTEGER ? `more than ${Number.MAX_SAFE_INTEGER}` : String(expected);
    throw new SafetensorsError(`${where}: shape [${(shape as number[]).join(', ')}] of ${st} needs ${needs} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, st: st as SafetensorsDType, shape: [...(shape as number[])], begin, end };
}
