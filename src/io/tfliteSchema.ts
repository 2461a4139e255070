/**
 * The subset of the TFLite FlatBuffer schema (tensorflow/lite/schema/schema.fbs)
 * that featvis needs to import feed-forward CNNs: Model, SubGraph, Tensor,
 * Buffer, Operator, OperatorCode, QuantizationParameters and the builtin
 * options of the ops featvis runs. Field numbers follow the schema's
 * declaration order. Everything is decoded eagerly into plain objects, except
 * weights, which stay views into the file bytes.
 */
import { FlatBuffer, type Table } from './flatbuffers.js';
import { FeatvisError } from '../core/errors.js';

export const TFLITE_IDENTIFIER = 'TFL3';

export enum TensorType {
  FLOAT32 = 0,
  FLOAT16 = 1,
  INT32 = 2,
  UINT8 = 3,
  INT64 = 4,
  STRING = 5,
  BOOL = 6,
  INT16 = 7,
  COMPLEX64 = 8,
  INT8 = 9,
  FLOAT64 = 10,
}

export function tensorTypeName(t: number): string {
  return TensorType[t] ?? `type#${t}`;
}

export enum Padding {
  SAME = 0,
  VALID = 1,
}

export enum Activation {
  NONE = 0,
  RELU = 1,
  RELU_N1_TO_1 = 2,
  RELU6 = 3,
  TANH = 4,
  SIGN_BIT = 5,
}

/** BuiltinOptions union type codes used here. */
export enum OptionsType {
  NONE = 0,
  Conv2DOptions = 1,
  DepthwiseConv2DOptions = 2,
  Pool2DOptions = 5,
  FullyConnectedOptions = 8,
  SoftmaxOptions = 9,
  ConcatenationOptions = 10,
  AddOptions = 11,
  ReshapeOptions = 17,
  MulOptions = 21,
  PadOptions = 22,
  ReducerOptions = 27,
  SubOptions = 28,
  DivOptions = 29,
  SqueezeOptions = 30,
  LeakyReluOptions = 75,
}

export interface QuantizationParameters {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  type: number;
  /** Index into Model.buffers (0 = the empty sentinel buffer). */
  buffer: number;
  quantization: QuantizationParameters | null;
}

export interface TfliteOperator {
  index: number;
  opcodeIndex: number;
  /** Tensor indices; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  optionsType: number;
  options: Table | null;
}

export interface TfliteOperatorCode {
  builtinCode: number;
  customCode: string | null;
  version: number;
}

export interface TfliteSubGraph {
  name: string;
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
}

export interface TfliteModel {
  version: number;
  description: string;
  operatorCodes: TfliteOperatorCode[];
  subgraphs: TfliteSubGraph[];
  /** Raw bytes of each buffer (views into the file); empty for runtime tensors. */
  buffers: Uint8Array[];
}

/** True when the bytes carry the TFLite file identifier. */
export function isTflite(bytes: Uint8Array): boolean {
  return new FlatBuffer(bytes, '').identifier() === TFLITE_IDENTIFIER;
}

/** Decodes a .tflite file. `what` names it in error messages. */
export function parseTflite(bytes: Uint8Array, what: string): TfliteModel {
  const fb = new FlatBuffer(bytes, what);
  if (bytes.length < 8) throw new FeatvisError(`${what}: not a TFLite model (only ${bytes.length} bytes)`);
  const ident = fb.identifier();
  if (ident !== TFLITE_IDENTIFIER) {
    const shown = /^[\x20-\x7e]{4}$/.test(ident) ? `'${ident}'` : `bytes ${[...bytes.subarray(4, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
    throw new FeatvisError(`${what}: not a TFLite model (file identifier is ${shown}, expected '${TFLITE_IDENTIFIER}')`);
  }
  const root = fb.root();
  const version = root.u32(0, 0);
  if (version !== 3) throw new FeatvisError(`${what}: unsupported TFLite schema version ${version} (expected 3)`);
  const operatorCodes = root.tables(1, 'OperatorCode').map((t) => ({
    // Old files store the code in the int8 field 0; new ones in the int32 field 3 (TFLite takes the larger).
    builtinCode: Math.max(t.i8(0, 0), t.i32(3, 0)),
    customCode: t.string(1),
    version: t.i32(2, 1),
  }));
  const buffers = root.tables(4, 'Buffer').map((t, i) => readBuffer(fb, t, i));
  const subgraphs = root.tables(2, 'SubGraph').map((t) => readSubGraph(t));
  if (subgraphs.length === 0) throw new FeatvisError(`${what}: TFLite model has no subgraph`);
  return { version, description: root.string(3) ?? '', operatorCodes, subgraphs, buffers };
}

function readBuffer(fb: FlatBuffer, t: Table, i: number): Uint8Array {
  const data = t.bytes(0);
  if (data && data.length > 0) return data;
  // Models over 2 GB keep buffers after the FlatBuffer: offset/size from the file start.
  const offset = t.u64(1, 0);
  const size = t.u64(2, 0);
  if (offset > 1) {
    fb.check(offset, size, `external data of buffer ${i}`);
    return fb.bytes.subarray(offset, offset + size);
  }
  return new Uint8Array(0);
}

function readSubGraph(t: Table): TfliteSubGraph {
  const tensors = t.tables(0, 'Tensor').map((tt, index) => readTensor(tt, index));
  const operators = t.tables(3, 'Operator').map((o, index) => ({
    index,
    opcodeIndex: o.u32(0, 0),
    inputs: o.i32s(1),
    outputs: o.i32s(2),
    optionsType: o.u8(3, 0),
    options: o.table(4, 'BuiltinOptions'),
  }));
  return { name: t.string(4) ?? '', tensors, inputs: t.i32s(1), outputs: t.i32s(2), operators };
}

function readTensor(t: Table, index: number): TfliteTensor {
  const q = t.table(4, 'QuantizationParameters');
  let quantization: QuantizationParameters | null = null;
  if (q) {
    const scale = q.f32s(2);
    if (scale.length > 0) quantization = { scale, zeroPoint: q.i64s(3), quantizedDimension: q.i32(6, 0) };
  }
  return { index, name: t.string(3) ?? `tensor_${index}`, shape: t.i32s(0), type: t.i8(1, 0), buffer: t.u32(2, 0), quantization };
}

// ---------------------------------------------------------------- builtin options

export interface Conv2DOptions {
  padding: Padding;
  strideW: number;
  strideH: number;
  activation: number;
  dilationW: number;
  dilationH: number;
}

export interface DepthwiseConv2DOptions extends Conv2DOptions {
  depthMultiplier: number;
}

export interface Pool2DOptions {
  padding: Padding;
  strideW: number;
  strideH: number;
  filterW: number;
  filterH: number;
  activation: number;
}

export interface FullyConnectedOptions {
  activation: number;
  /** 0 = DEFAULT; anything else is a shuffled weight layout featvis does not read. */
  weightsFormat: number;
  keepNumDims: boolean;
}

/** The options table when it has the expected union type, else null (defaults apply). */
function opts(op: TfliteOperator, type: OptionsType): Table | null {
  return op.options && op.optionsType === type ? op.options : null;
}

export function conv2dOptions(op: TfliteOperator): Conv2DOptions {
  const t = opts(op, OptionsType.Conv2DOptions);
  return {
    padding: t?.i8(0, 0) ?? 0,
    strideW: t?.i32(1, 1) ?? 1,
    strideH: t?.i32(2, 1) ?? 1,
    activation: t?.i8(3, 0) ?? 0,
    dilationW: t?.i32(4, 1) ?? 1,
    dilationH: t?.i32(5, 1) ?? 1,
  };
}

export function depthwiseConv2dOptions(op: TfliteOperator): DepthwiseConv2DOptions {
  const t = opts(op, OptionsType.DepthwiseConv2DOptions);
  return {
    padding: t?.i8(0, 0) ?? 0,
    strideW: t?.i32(1, 1) ?? 1,
    strideH: t?.i32(2, 1) ?? 1,
    depthMultiplier: t?.i32(3, 0) ?? 0,
    activation: t?.i8(4, 0) ?? 0,
    dilationW: t?.i32(5, 1) ?? 1,
    dilationH: t?.i32(6, 1) ?? 1,
  };
}

export function pool2dOptions(op: TfliteOperator): Pool2DOptions {
  const t = opts(op, OptionsType.Pool2DOptions);
  return {
    padding: t?.i8(0, 0) ?? 0,
    strideW: t?.i32(1, 1) ?? 1,
    strideH: t?.i32(2, 1) ?? 1,
    filterW: t?.i32(3, 1) ?? 1,
    filterH: t?.i32(4, 1) ?? 1,
    activation: t?.i8(5, 0) ?? 0,
  };
}

export function fullyConnectedOptions(op: TfliteOperator): FullyConnectedOptions {
  const t = opts(op, OptionsType.FullyConnectedOptions);
  return { activation: t?.i8(0, 0) ?? 0, weightsFormat: t?.i8(1, 0) ?? 0, keepNumDims: t?.bool(2, false) ?? false };
}

/** Softmax beta; 1 when the options table is missing altogether. */
export function softmaxBeta(op: TfliteOperator): number {
  const t = opts(op, OptionsType.SoftmaxOptions);
  return t ? t.f32(0, 0) : 1;
}

export function concatenationOptions(op: TfliteOperator): { axis: number; activation: number } {
  const t = opts(op, OptionsType.ConcatenationOptions);
  return { axis: t?.i32(0, 0) ?? 0, activation: t?.i8(1, 0) ?? 0 };
}

/** Fused activation of ADD / SUB / MUL / DIV (field 0 of their options). */
export function binaryActivation(op: TfliteOperator): number {
  const t = op.options;
  const ok = [OptionsType.AddOptions, OptionsType.SubOptions, OptionsType.MulOptions, OptionsType.DivOptions].includes(op.optionsType);
  return t && ok ? t.i8(0, 0) : 0;
}

export function reshapeNewShape(op: TfliteOperator): number[] | null {
  const t = opts(op, OptionsType.ReshapeOptions);
  return t && t.has(0) ? t.i32s(0) : null;
}

export function reducerKeepDims(op: TfliteOperator): boolean {
  return opts(op, OptionsType.ReducerOptions)?.bool(0, false) ?? false;
}

export function squeezeDims(op: TfliteOperator): number[] {
  return opts(op, OptionsType.SqueezeOptions)?.i32s(0) ?? [];
}

export function leakyReluAlpha(op: TfliteOperator): number {
  return opts(op, OptionsType.LeakyReluOptions)?.f32(0, 0) ?? 0;
}

export function builtinOperatorName(code: number): string {
  return BUILTIN_OPERATOR_NAMES[code] ?? `BUILTIN_${code}`;
}

export const BUILTIN_OPERATOR_NAMES: readonly string[] = [
  'ADD', 'AVERAGE_POOL_2D', 'CONCATENATION', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'DEPTH_TO_SPACE', 'DEQUANTIZE',
  'EMBEDDING_LOOKUP', 'FLOOR', 'FULLY_CONNECTED', 'HASHTABLE_LOOKUP', 'L2_NORMALIZATION', 'L2_POOL_2D',
  'LOCAL_RESPONSE_NORMALIZATION', 'LOGISTIC', 'LSH_PROJECTION', 'LSTM', 'MAX_POOL_2D', 'MUL', 'RELU', 'RELU_N1_TO_1',
  'RELU6', 'RESHAPE', 'RESIZE_BILINEAR', 'RNN', 'SOFTMAX', 'SPACE_TO_DEPTH', 'SVDF', 'TANH', 'CONCAT_EMBEDDINGS',
  'SKIP_GRAM', 'CALL', 'CUSTOM', 'EMBEDDING_LOOKUP_SPARSE', 'PAD', 'UNIDIRECTIONAL_SEQUENCE_RNN', 'GATHER',
  'BATCH_TO_SPACE_ND', 'SPACE_TO_BATCH_ND', 'TRANSPOSE', 'MEAN', 'SUB', 'DIV', 'SQUEEZE',
  'UNIDIRECTIONAL_SEQUENCE_LSTM', 'STRIDED_SLICE', 'BIDIRECTIONAL_SEQUENCE_RNN', 'EXP', 'TOPK_V2', 'SPLIT',
  'LOG_SOFTMAX', 'DELEGATE', 'BIDIRECTIONAL_SEQUENCE_LSTM', 'CAST', 'PRELU', 'MAXIMUM', 'ARG_MAX', 'MINIMUM', 'LESS',
  'NEG', 'PADV2', 'GREATER', 'GREATER_EQUAL', 'LESS_EQUAL', 'SELECT', 'SLICE', 'SIN', 'TRANSPOSE_CONV',
  'SPARSE_TO_DENSE', 'TILE', 'EXPAND_DIMS', 'EQUAL', 'NOT_EQUAL', 'LOG', 'SUM', 'SQRT', 'RSQRT', 'SHAPE', 'POW',
  'ARG_MIN', 'FAKE_QUANT', 'REDUCE_PROD', 'REDUCE_MAX', 'PACK', 'LOGICAL_OR', 'ONE_HOT', 'LOGICAL_AND',
  'LOGICAL_NOT', 'UNPACK', 'REDUCE_MIN', 'FLOOR_DIV', 'REDUCE_ANY', 'SQUARE', 'ZEROS_LIKE', 'FILL', 'FLOOR_MOD',
  'RANGE', 'RESIZE_NEAREST_NEIGHBOR', 'LEAKY_RELU', 'SQUARED_DIFFERENCE', 'MIRROR_PAD', 'ABS', 'SPLIT_V', 'UNIQUE',
  'CEIL', 'REVERSE_V2', 'ADD_N', 'GATHER_ND', 'COS', 'WHERE', 'RANK', 'ELU', 'REVERSE_SEQUENCE', 'MATRIX_DIAG',
  'QUANTIZE', 'MATRIX_SET_DIAG', 'ROUND', 'HARD_SWISH', 'IF', 'WHILE', 'NON_MAX_SUPPRESSION_V4',
  'NON_MAX_SUPPRESSION_V5', 'SCATTER_ND', 'SELECT_V2', 'DENSIFY', 'SEGMENT_SUM', 'BATCH_MATMUL',
  'PLACEHOLDER_FOR_GREATER_OP_CODES', 'CUMSUM', 'CALL_ONCE', 'BROADCAST_TO', 'RFFT2D', 'CONV_3D', 'IMAG', 'REAL',
  'COMPLEX_ABS', 'HASHTABLE', 'HASHTABLE_FIND', 'HASHTABLE_IMPORT', 'HASHTABLE_SIZE', 'REDUCE_ALL',
  'CONV_3D_TRANSPOSE', 'VAR_HANDLE', 'READ_VARIABLE', 'ASSIGN_VARIABLE', 'BROADCAST_ARGS', 'RANDOM_STANDARD_NORMAL',
  'BUCKETIZE', 'RANDOM_UNIFORM', 'MULTINOMIAL', 'GELU', 'DYNAMIC_UPDATE_SLICE', 'RELU_0_TO_1',
  'UNSORTED_SEGMENT_PROD', 'UNSORTED_SEGMENT_MAX', 'UNSORTED_SEGMENT_SUM', 'ATAN2', 'UNSORTED_SEGMENT_MIN', 'SIGN',
  'BITCAST', 'BITWISE_XOR', 'RIGHT_SHIFT', 'STABLEHLO_LOGISTIC', 'STABLEHLO_ADD', 'STABLEHLO_DIVIDE',
  'STABLEHLO_MULTIPLY', 'STABLEHLO_MAXIMUM', 'STABLEHLO_RESHAPE', 'STABLEHLO_CLAMP', 'STABLEHLO_CONCATENATE',
  'STABLEHLO_BROADCAST_IN_DIM', 'STABLEHLO_CONVOLUTION', 'STABLEHLO_SLICE', 'STABLEHLO_CUSTOM_CALL',
  'STABLEHLO_REDUCE', 'STABLEHLO_ABS', 'STABLEHLO_AND', 'STABLEHLO_COSINE', 'STABLEHLO_EXPONENTIAL',
  'STABLEHLO_FLOOR', 'STABLEHLO_LOG', 'STABLEHLO_MINIMUM', 'STABLEHLO_NEGATE', 'STABLEHLO_OR', 'STABLEHLO_POWER',
  'STABLEHLO_REMAINDER', 'STABLEHLO_RSQRT', 'STABLEHLO_SELECT', 'STABLEHLO_SUBTRACT', 'STABLEHLO_TANH',
  'STABLEHLO_SCATTER', 'STABLEHLO_COMPARE', 'STABLEHLO_CONVERT', 'STABLEHLO_DYNAMIC_SLICE',
  'STABLEHLO_DYNAMIC_UPDATE_SLICE', 'STABLEHLO_PAD', 'STABLEHLO_IOTA', 'STABLEHLO_DOT_GENERAL',
  'STABLEHLO_REDUCE_WINDOW', 'STABLEHLO_SORT', 'STABLEHLO_WHILE', 'STABLEHLO_GATHER', 'STABLEHLO_TRANSPOSE',
  'DILATE', 'STABLEHLO_RNG_BIT_GENERATOR', 'REDUCE_WINDOW', 'STABLEHLO_COMPOSITE', 'STABLEHLO_SHIFT_LEFT',
  'STABLEHLO_CBRT', 'STABLEHLO_CASE',
];
