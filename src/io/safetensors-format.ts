// The safetensors format (https://github.com/huggingface/safetensors), in memory only, so that the browser
// bundle can use it too (./safetensors.ts adds the files): an 8-byte little-endian header length N,
// N bytes of JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the
// data buffer, which the tensors must tile exactly. Everything in the header is validated against
// the real byte counts before any tensor memory is allocated, so a corrupt or hostile file yields an Error
// naming the file and the problem, never a crash or a huge allocation.
//
// Read dtypes: F32, F16, BF16 -> Float32Array; I32 -> Int32Array; U8 -> Uint8Array; I64 -> Int32Array with
// a range check (the engine indexes with 32-bit integers; a value outside int32 is an error, not a wrap).
// Written dtypes: F32, F16, BF16 from Float32Array, rounding to nearest even.
import { oneLine } from './one-line.js';

export type ReadDtype = 'F32' | 'F16' | 'BF16' | 'I32' | 'I64' | 'U8';
export type WriteDtype = 'F32' | 'F16' | 'BF16';

export interface ReadTensor {
  dtype: ReadDtype;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

export interface SafetensorsContent {
  tensors: Map<string, ReadTensor>;
  metadata: Record<string, string>;
}

export interface WriteTensor {
  dtype: WriteDtype;
  shape: number[];
  data: Float32Array;
}

/** Largest header accepted; real headers are kilobytes, this only bounds what a corrupt length can cost. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const DTYPE_BYTES: Record<ReadDtype, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8, U8: 1 };

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('safetensors: this module reads tensors through typed-array views and needs a little-endian host');
}

// ---------------------------------------------------------------------------------------------- float bits

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Float32 -> IEEE binary16 bits, round to nearest even; overflow -> inf, NaN stays a (quiet) NaN. */
export function f32ToF16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // exponent rebiased from 127 to 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Result is subnormal (or zero): the significand with its implicit 1, shifted down to units of 2^-24.
    const shift = 14 - e;
    if (shift > 24) return sign;
    const full = mant | 0x800000;
    let q = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && (q & 1) === 1)) q++;
    return sign | q;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // a carry may roll into the exponent: correct, incl. -> inf
  return sign | h;
}

/** IEEE binary16 bits -> number (exact). */
export function f16BitsToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Float32 -> bfloat16 bits, round to nearest even; NaN stays a (quiet) NaN. */
export function f32ToBf16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return (bits >>> 16) | 0x40;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** bfloat16 bits -> number (exact). */
export function bf16BitsToF32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

// ------------------------------------------------------------------------------------------------- reading

interface HeaderEntry {
  name: string;
  dtype: ReadDtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface ParsedHeader {
  entries: HeaderEntry[];
  metadata: Record<string, string>;
}

export function fail(source: string, problem: string): never {
  throw new Error(`${source}: invalid safetensors file: ${oneLine(problem)}`);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** Validates the 8-byte length prefix against the file size; returns the header length. */
export function headerLength(prefix: Uint8Array, fileBytes: number, source: string): number {
  if (fileBytes < 8) fail(source, `file is ${fileBytes} bytes, shorter than the 8-byte header length`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(source, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (n > BigInt(fileBytes - 8)) fail(source, `header length ${n} runs past the end of the ${fileBytes}-byte file`);
  return Number(n);
}

function parseJson(bytes: Uint8Array, source: string): unknown {
  if (bytes.length === 0 || bytes[0] !== 0x7b) fail(source, "header does not start with '{'");
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    fail(source, 'header is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    fail(source, `header is not valid JSON (${(err as Error).message})`);
  }
}

function parseMetadata(raw: unknown, source: string): Record<string, string> {
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) fail(source, '__metadata__ is not an object');
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') fail(source, `__metadata__ value of '${key}' is not a string`);
  }
  return raw as Record<string, string>;
}

/** Bytes the shape needs, or Infinity beyond 2^53 (so a hostile shape cannot overflow into a small number). */
function byteSize(shape: number[], dtypeBytes: number): number {
  if (shape.includes(0)) return 0;
  let bytes = dtypeBytes;
  for (const dim of shape) {
    bytes *= dim;
    if (bytes > Number.MAX_SAFE_INTEGER) return Infinity;
  }
  return bytes;
}

function parseEntry(name: string, raw: unknown, dataBytes: number, source: string): HeaderEntry {
  const where = `tensor '${name}'`;
  if (!isPlainObject(raw)) fail(source, `${where} is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
    fail(
      source,
      `${where} has unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isCount))
    fail(source, `${where} shape is not an array of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(source, `${where} data_offsets is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(source, `${where} data_offsets [${begin}, ${end}] are reversed`);
  if (end > dataBytes)
    fail(source, `${where} data_offsets [${begin}, ${end}] run past the ${dataBytes}-byte data buffer`);
  const need = byteSize(shape as number[], DTYPE_BYTES[dtype as ReadDtype]);
  if (need !== end - begin) {
    const needText = need === Infinity ? 'more than 2^53' : String(need);
    fail(source, `${where} ${dtype}[${shape.join(', ')}] needs ${needText} bytes but data_offsets span ${end - begin}`);
  }
  return { name, dtype: dtype as ReadDtype, shape: shape as number[], begin, end };
}

/** Tensors must tile the data buffer exactly: sorted by offset, each starts where the previous ended. */
function checkTiling(entries: HeaderEntry[], dataBytes: number, source: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let position = 0;
  for (const entry of sorted) {
    if (entry.begin < position)
      fail(source, `tensor '${entry.name}' at byte ${entry.begin} overlaps the previous tensor (ends at ${position})`);
    if (entry.begin > position)
      fail(source, `bytes ${position}..${entry.begin} of the data buffer belong to no tensor`);
    position = entry.end;
  }
  if (position !== dataBytes) fail(source, `bytes ${position}..${dataBytes} of the data buffer belong to no tensor`);
}

export function parseHeader(bytes: Uint8Array, dataBytes: number, source: string): ParsedHeader {
  const json = parseJson(bytes, source);
  if (!isPlainObject(json)) fail(source, 'header is not a JSON object');
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name !== '__metadata__') entries.push(parseEntry(name, raw, dataBytes, source));
  }
  checkTiling(entries, dataBytes, source);
  return { entries, metadata: parseMetadata(json.__metadata__, source) };
}

/** Copies into a fresh (hence aligned) buffer. */
function copyBytes(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}

function widenHalves(raw: Uint8Array, toF32: (bits: number) => number): Float32Array {
  const halves = new Uint16Array(copyBytes(raw));
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = toF32(halves[i]!);
  return out;
}

function narrowI64(raw: Uint8Array, name: string, source: string): Int32Array {
  const wide = new BigInt64Array(copyBytes(raw));
  const out = new Int32Array(wide.length);
  for (let i = 0; i < wide.length; i++) {
    const v = wide[i]!;
    if (v < -2147483648n || v > 2147483647n)
      fail(source, `I64 tensor '${name}' holds ${v}, outside the int32 range it is read into`);
    out[i] = Number(v);
  }
  return out;
}

function decodeTensor(entry: HeaderEntry, data: Uint8Array, source: string): ReadTensor {
  const raw = data.subarray(entry.begin, entry.end);
  const { dtype, shape } = entry;
  switch (dtype) {
    case 'F32':
      return { dtype, shape, data: new Float32Array(copyBytes(raw)) };
    case 'F16':
      return { dtype, shape, data: widenHalves(raw, f16BitsToF32) };
    case 'BF16':
      return { dtype, shape, data: widenHalves(raw, bf16BitsToF32) };
    case 'I32':
      return { dtype, shape, data: new Int32Array(copyBytes(raw)) };
    case 'I64':
      return { dtype, shape, data: narrowI64(raw, entry.name, source) };
    case 'U8':
      return { dtype, shape, data: new Uint8Array(copyBytes(raw)) };
  }
}

export function decodeAll(header: ParsedHeader, data: Uint8Array, source: string): SafetensorsContent {
  const tensors = new Map<string, ReadTensor>();
  for (const entry of header.entries) tensors.set(entry.name, decodeTensor(entry, data, source));
  return { tensors, metadata: header.metadata };
}

/** Parses a whole safetensors file held in memory. `source` names it in error messages. */
export function parseSafetensors(bytes: Uint8Array, source = '<safetensors bytes>'): SafetensorsContent {
  const n = headerLength(bytes, bytes.length, source);
  const dataStart = 8 + n;
  const header = parseHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, source);
  return decodeAll(header, bytes.subarray(dataStart), source);
}

// ------------------------------------------------------------------------------------------------- writing

const WRITE_BYTES: Record<WriteDtype, number> = { F32: 4, F16: 2, BF16: 2 };

function encodeTensor(tensor: WriteTensor): Uint8Array {
  const { dtype, data } = tensor;
  if (dtype === 'F32') return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const halves = new Uint16Array(data.length);
  const convert = dtype === 'F16' ? f32ToF16Bits : f32ToBf16Bits;
  for (let i = 0; i < data.length; i++) halves[i] = convert(data[i]!);
  return new Uint8Array(halves.buffer);
}

function checkWriteTensor(name: string, tensor: WriteTensor): void {
  if (name === '__metadata__') throw new Error("safetensors: '__metadata__' cannot be a tensor name");
  if (!(tensor.dtype in WRITE_BYTES))
    throw new Error(`safetensors: tensor '${name}' has unsupported write dtype '${tensor.dtype}'`);
  if (!Array.isArray(tensor.shape) || !tensor.shape.every(isCount)) {
    throw new Error(
      `safetensors: tensor '${name}' shape must be non-negative integers, got ${JSON.stringify(tensor.shape)}`,
    );
  }
  if (!(tensor.data instanceof Float32Array))
    throw new Error(`safetensors: tensor '${name}' data must be a Float32Array`);
  const elements = tensor.shape.reduce((a, b) => a * b, 1);
  if (elements !== tensor.data.length) {
    throw new Error(
      `safetensors: tensor '${name}' shape [${tensor.shape.join(', ')}] has ${elements} elements but data has ${tensor.data.length}`,
    );
  }
}

/**
 * Serializes to the chunks of a safetensors file: the length prefix plus header (padded with spaces so the
 * data starts 8-byte aligned), then each tensor's bytes. Tensors are ordered by element size (largest first)
 * then name, as the reference implementation does, which keeps every tensor aligned to its element size.
 */
export function serializeSafetensors(
  tensors: Record<string, WriteTensor>,
  metadata?: Record<string, string>,
): Uint8Array[] {
  const names = Object.keys(tensors).sort((a, b) => {
    const size = WRITE_BYTES[tensors[b]!.dtype] - WRITE_BYTES[tensors[a]!.dtype];
    return size !== 0 ? size : a < b ? -1 : a > b ? 1 : 0;
  });
  // No prototype, so a tensor named '__proto__' is stored as a key like any other.
  const header: Record<string, unknown> = Object.create(null);
  if (metadata) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new Error(`safetensors: metadata value of '${key}' must be a string`);
    }
    header.__metadata__ = metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const tensor = tensors[name]!;
    checkWriteTensor(name, tensor);
    const bytes = encodeTensor(tensor);
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    chunks.push(bytes);
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return [head, ...chunks];
}
