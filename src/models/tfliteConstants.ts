/**
 * TFLite constant tensors as floats: raw values by element type (float16
 * decoded), and dequantisation of quantised constants at load time
 * ((q - zero_point) * scale, per tensor or per channel).
 */
import * as S from '../io/tfliteSchema.js';

const ELEMENT_SIZE: Partial<Record<number, number>> = {
  [S.TensorType.FLOAT32]: 4,
  [S.TensorType.FLOAT16]: 2,
  [S.TensorType.INT32]: 4,
  [S.TensorType.UINT8]: 1,
  [S.TensorType.INT64]: 8,
  [S.TensorType.BOOL]: 1,
  [S.TensorType.INT16]: 2,
  [S.TensorType.INT8]: 1,
  [S.TensorType.FLOAT64]: 8,
};

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Raw element values of a constant tensor (no dequantisation). Throws `fail(...)` on size mismatch or unsupported type. */
export function rawValues(t: S.TfliteTensor, bytes: Uint8Array, fail: (msg: string) => Error): Float64Array | Float32Array {
  const size = ELEMENT_SIZE[t.type];
  if (size === undefined) throw fail(`tensor '${t.name}' has unsupported type ${S.tensorTypeName(t.type)}`);
  if (t.shape.some((d) => !Number.isInteger(d) || d < 0)) throw fail(`tensor '${t.name}' has invalid shape [${t.shape.join(', ')}]`);
  const n = elementCount(t.shape);
  if (n * size !== bytes.length) {
    throw fail(`tensor '${t.name}' (${S.tensorTypeName(t.type)} [${t.shape.join(', ')}]) needs ${n * size} bytes, its buffer has ${bytes.length}`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read: (k: number) => number = (() => {
    switch (t.type) {
      case S.TensorType.FLOAT32:
        return (k: number) => v.getFloat32(4 * k, true);
      case S.TensorType.FLOAT16:
        return (k: number) => halfToFloat(v.getUint16(2 * k, true));
      case S.TensorType.INT32:
        return (k: number) => v.getInt32(4 * k, true);
      case S.TensorType.UINT8:
      case S.TensorType.BOOL:
        return (k: number) => v.getUint8(k);
      case S.TensorType.INT8:
        return (k: number) => v.getInt8(k);
      case S.TensorType.INT16:
        return (k: number) => v.getInt16(2 * k, true);
      case S.TensorType.INT64:
        return (k: number) => Number(v.getBigInt64(8 * k, true));
      default:
        return (k: number) => v.getFloat64(8 * k, true);
    }
  })();
  const out = t.type === S.TensorType.FLOAT32 || t.type === S.TensorType.FLOAT16 ? new Float32Array(n) : new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = read(k);
  return out;
}

/** A constant tensor as float32: (q - zero_point) * scale for quantised integer types, per tensor or per channel. */
export function dequantize(t: S.TfliteTensor, bytes: Uint8Array, fail: (msg: string) => Error): Float32Array {
  const raw = rawValues(t, bytes, fail);
  const q = t.quantization;
  const isFloat = t.type === S.TensorType.FLOAT32 || t.type === S.TensorType.FLOAT16 || t.type === S.TensorType.FLOAT64;
  if (!q || isFloat) return raw instanceof Float32Array ? raw : Float32Array.from(raw);
  const { scale, zeroPoint } = q;
  const out = new Float32Array(raw.length);
  if (scale.length === 1) {
    const s = scale[0]!;
    const z = zeroPoint[0] ?? 0;
    for (let k = 0; k < raw.length; k++) out[k] = (raw[k]! - z) * s;
    return out;
  }
  const dim = q.quantizedDimension;
  if (dim < 0 || dim >= t.shape.length || t.shape[dim] !== scale.length) {
    throw fail(`tensor '${t.name}': ${scale.length} per-channel scales do not match dimension ${dim} of shape [${t.shape.join(', ')}]`);
  }
  if (zeroPoint.length !== 0 && zeroPoint.length !== 1 && zeroPoint.length !== scale.length) {
    throw fail(`tensor '${t.name}': ${zeroPoint.length} zero points for ${scale.length} scales`);
  }
  const inner = elementCount(t.shape.slice(dim + 1));
  const channels = scale.length;
  for (let k = 0; k < raw.length; k++) {
    const c = Math.floor(k / inner) % channels;
    const z = zeroPoint.length === channels ? zeroPoint[c]! : (zeroPoint[0] ?? 0);
    out[k] = (raw[k]! - z) * scale[c]!;
  }
  return out;
}
