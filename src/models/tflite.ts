/**
 * TFLite import: a `.tflite` file (float, float16 or uint8/int8 quantised) as
 * a differentiable featvis model. The FlatBuffer is decoded by hand
 * (src/io/tfliteSchema.ts), constants are dequantised to float32, and every
 * operator becomes a GraphNode named after its output tensor
 * (e.g. `MobilenetV2/expanded_conv_7/add`, short alias `expanded_conv_7/add`).
 * The graph runs in float: activation quantisation is ignored.
 *
 * A folder holding several .tflite graphs where one's input tensor is
 * another's output (Coral's MobileNetV1 embedding extractor + head) loads as
 * one chained model.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tf, type Tensor } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';
import { readRegularFile, readTextFile } from '../io/readFile.js';
import { GraphFeatModel, INPUT, type GraphNode } from './graph.js';
import { readSidecar, type LoadOptions, type ModelLoader } from './sidecar.js';
import type { Preprocess } from '../core/types.js';
import { ensureCached } from '../io/cache.js';
import {
  builtinOperatorName,
  parseTflite,
  TensorType,
  tensorTypeName,
  type TfliteModel,
  type TfliteOperator,
  type TfliteSubGraph,
  type TfliteTensor,
} from '../io/tfliteSchema.js';
import { dequantize, rawValues } from './tfliteConstants.js';
import { buildOp, dataDependencies, isSupportedOp, SUPPORTED_TFLITE_OPS, type OpEnv } from './tfliteOps.js';

/** One decoded .tflite file. */
export interface TfliteSource {
  /** File name or label used in messages. */
  file: string;
  model: TfliteModel;
}

export interface TfliteBuildOptions {
  name: string;
  /** Overrides the preprocessing derived from the input tensor. */
  preprocess?: Partial<Preprocess>;
  labels?: string[];
}

export class TfliteFeatModel extends GraphFeatModel {
  /** Short layer names → full layer names (both are accepted by `activations`). */
  readonly aliases: Readonly<Record<string, string>>;
  /** The layer holding the graph's (first) output. */
  readonly outputLayer: string;
  /** The input of a final SOFTMAX (the class logits), when the graph ends in one. */
  readonly logitsLayer: string | null;

  constructor(
    spec: ConstructorParameters<typeof GraphFeatModel>[0],
    extra: { aliases: Record<string, string>; outputLayer: string; logitsLayer: string | null },
  ) {
    super(spec);
    this.aliases = extra.aliases;
    this.outputLayer = extra.outputLayer;
    this.logitsLayer = extra.logitsLayer;
  }
}

const MAX_INPUT_SIDE = 2048;

/** Reads and decodes one .tflite file. */
export function readTfliteFile(file: string): TfliteSource {
  const bytes = readRegularFile(file, { what: 'TFLite model', maxBytes: 2 ** 31 });
  const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { file, model: parseTflite(u8, file) };
}

/**
 * Loads a `.tflite` file, an http(s) URL of one (downloaded once into the
 * featvis cache), or a folder of chained .tflite graphs.
 * Preprocessing: size from the input tensor; range from its quantisation
 * (uint8 q ∈ [0, 255] ↔ pixel ∈ [0, 1], float = (q − zero_point)·scale), else
 * [-1, 1] for float inputs; a featvis.json sidecar and `opts` override.
 * Labels: `opts.labels`, the sidecar, or imagenet_labels.txt / labels.txt beside the model.
 */
export async function loadTflite(source: string, opts: LoadOptions = {}): Promise<TfliteFeatModel> {
  let local = source;
  if (/^https?:\/\//.test(source)) {
    const base = path.basename(new URL(source).pathname) || 'model.tflite';
    local = await ensureCached({ url: source, cacheName: `tflite/${base}`, description: `TFLite model ${base}` });
  }
  if (!fs.existsSync(local)) throw new FeatvisError(`TFLite model not found: ${local}`);
  const isDir = fs.statSync(local).isDirectory();
  const sources = isDir ? chainFolder(local) : [readTfliteFile(local)];
  const side = readSidecar(local);
  const name = opts.name ?? side.name ?? (isDir ? path.basename(path.resolve(local)) : path.basename(local, '.tflite'));
  const labels = opts.labels ?? side.labels ?? readLabels(isDir ? local : path.dirname(local));
  const preprocess = { ...side.preprocess, ...opts.preprocess };
  return buildTfliteModel(sources, { name, preprocess, ...(labels ? { labels } : {}) });
}

function readLabels(dir: string): string[] | undefined {
  for (const f of ['imagenet_labels.txt', 'labels.txt']) {
    const p = path.join(dir, f);
    if (fs.existsSync(p)) {
      const lines = readTextFile(p, { what: 'labels file', maxBytes: 16 << 20 }).split(/\r?\n/).map((l) => l.trim());
      while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
      return lines;
    }
  }
  return undefined;
}

/** Orders the .tflite graphs of a folder so that each one's input is the previous one's output. */
function chainFolder(dir: string): TfliteSource[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.tflite')).sort();
  if (files.length === 0) throw new FeatvisError(`no .tflite file in ${dir}`);
  const parts = files.map((f) => readTfliteFile(path.join(dir, f)));
  if (parts.length === 1) return parts;
  const io = parts.map((p) => {
    const g = p.model.subgraphs[0]!;
    return { p, input: g.tensors[g.inputs[0] ?? -1]?.name, output: g.tensors[g.outputs[0] ?? -1]?.name };
  });
  const starts = io.filter((a) => !io.some((b) => b !== a && b.output === a.input));
  const fail = () =>
    new FeatvisError(
      `${dir} holds ${files.length} .tflite files (${files.join(', ')}) that do not form one chain ` +
        `(each graph's input tensor must be the previous graph's output tensor); load one file instead`,
    );
  if (starts.length !== 1) throw fail();
  const chain = [starts[0]!];
  while (chain.length < io.length) {
    const last = chain[chain.length - 1]!;
    const next = io.filter((b) => !chain.includes(b) && b.input !== undefined && b.input === last.output);
    if (next.length !== 1) throw fail();
    chain.push(next[0]!);
  }
  return chain.map((c) => c.p);
}

/** Builds the featvis model from decoded .tflite graphs (chained when more than one). */
export function buildTfliteModel(sources: TfliteSource[], opts: TfliteBuildOptions): TfliteFeatModel {
  if (sources.length === 0) throw new FeatvisError('no TFLite graph given');
  const conv = new Converter(opts.name);
  let prev: { node: string; tensor: TfliteTensor } | null = null;
  let size: [number, number] = [224, 224];
  let range: [number, number] = [-1, 1];
  try {
    for (const src of sources) {
      const graph = src.model.subgraphs[0]!;
      if (graph.inputs.length !== 1) {
        throw new FeatvisError(`${src.file}: featvis imports single-input image models; this graph has ${graph.inputs.length} inputs`);
      }
      const inTensor = tensorAt(graph, graph.inputs[0]!, src.file, 'graph input');
      if (!prev) {
        ({ size, range } = inputPreprocess(inTensor, src.file));
      } else {
        const a = prev.tensor.shape.reduce((x, y) => x * y, 1);
        const b = inTensor.shape.reduce((x, y) => x * y, 1);
        if (a !== b) throw new FeatvisError(`${src.file}: its input '${inTensor.name}' [${inTensor.shape}] does not fit the previous graph's output [${prev.tensor.shape}]`);
      }
      prev = conv.convert(src, graph, prev ? prev.node : INPUT);
    }
    const preprocess: Preprocess = { size, range, channelOrder: 'RGB', ...opts.preprocess };
    const { nodes, aliases, visible } = conv.finish();
    conv.pruneUnused();
    const lastSoftmax = conv.softmaxInput.get(prev!.node) ?? null;
    if (lastSoftmax && !conv.names.has('logits') && !('logits' in aliases)) {
      aliases['logits'] = lastSoftmax;
      insertAlias(nodes, 'logits', lastSoftmax);
    }
    return new TfliteFeatModel(
      {
        name: opts.name,
        nodes,
        preprocess,
        ...(opts.labels ? { labels: opts.labels } : {}),
        visibleLayers: (n) => visible.has(n.name),
        dispose: () => conv.dispose(),
      },
      { aliases, outputLayer: prev!.node, logitsLayer: lastSoftmax },
    );
  } catch (err) {
    conv.dispose();
    if (err instanceof FeatvisError) throw err;
    throw new FeatvisError(`model '${opts.name}': could not build the TFLite graph: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function tensorAt(graph: TfliteSubGraph, i: number, file: string, what: string): TfliteTensor {
  const t = graph.tensors[i];
  if (!t) throw new FeatvisError(`${file}: ${what} refers to tensor ${i}, but the graph has ${graph.tensors.length} tensors`);
  return t;
}

/** Default size and pixel range from the input tensor (NHWC, 3 channels; quantised or float). */
function inputPreprocess(t: TfliteTensor, file: string): { size: [number, number]; range: [number, number] } {
  const s = t.shape;
  if (s.length !== 4 || s[3] !== 3) throw new FeatvisError(`${file}: input '${t.name}' has shape [${s.join(', ')}]; featvis needs an NHWC RGB image input [1, H, W, 3]`);
  const [, h, w] = s as [number, number, number, number];
  if (!(h >= 1 && h <= MAX_INPUT_SIDE && w >= 1 && w <= MAX_INPUT_SIDE)) throw new FeatvisError(`${file}: input size ${h}×${w} is out of range`);
  const q = t.quantization;
  const qrange = (lo: number, hi: number): [number, number] =>
    q && q.scale.length === 1 ? [(lo - (q.zeroPoint[0] ?? 0)) * q.scale[0]!, (hi - (q.zeroPoint[0] ?? 0)) * q.scale[0]!] : [lo, hi];
  switch (t.type) {
    case TensorType.UINT8:
      // The interpreter is fed q = 255·pixel; the float graph sees (q − zp)·scale.
      return { size: [h, w], range: qrange(0, 255) };
    case TensorType.INT8:
      return { size: [h, w], range: qrange(-128, 127) };
    case TensorType.FLOAT32:
    case TensorType.FLOAT16:
      return { size: [h, w], range: [-1, 1] };
    default:
      throw new FeatvisError(`${file}: unsupported input type ${tensorTypeName(t.type)}`);
  }
}

function insertAlias(nodes: GraphNode[], alias: string, target: string): void {
  const at = nodes.findIndex((n) => n.name === target);
  nodes.splice(at + 1, 0, { name: alias, inputs: [target], kind: 'alias', run: ([x]) => x! });
}

/** Components TF appends to op names that say nothing about the layer (fused activations, folded batch norm, bias). */
const NOISE = /^(Relu6?|add_fold|BiasAdd|Conv2D(_Fold)?|FusedBatchNorm(V\d)?|act_quant|Identity)$/;

class Converter {
  readonly names = new Set<string>();
  /** softmax node → its input node. */
  readonly softmaxInput = new Map<string, string>();
  private readonly nodes: GraphNode[] = [];
  /** Tensors captured by nodes (freed by dispose). */
  private readonly weights = new Set<Tensor>();
  /** Every tensor made at load time. */
  private readonly made = new Set<Tensor>();

  constructor(private readonly modelName: string) {}

  /** Converts one subgraph whose input is node `inputNode`; returns its output node and tensor. */
  convert(src: TfliteSource, graph: TfliteSubGraph, inputNode: string): { node: string; tensor: TfliteTensor } {
    const { model, file } = src;
    const fileName = path.basename(file);
    const inputIndex = graph.inputs[0]!;
    const runtime = new Map<number, string>([[inputIndex, inputNode]]);
    const consts = new Map<number, Tensor>();
    const opNames = graph.operators.map((op) => this.opName(model, op, fileName));
    const tensor = (i: number, what: string) => tensorAt(graph, i, fileName, what);
    const isConstant = (i: number): boolean => {
      if (i === inputIndex) return false;
      const t = tensor(i, 'an operator');
      return t.buffer > 0 && (model.buffers[t.buffer]?.length ?? 0) > 0;
    };
    for (const i of graph.outputs) tensor(i, 'graph output');

    // Only operators that feed an output matter (drops e.g. shape arithmetic behind static RESHAPEs).
    const needed = new Set(graph.outputs);
    for (let k = graph.operators.length - 1; k >= 0; k--) {
      const op = graph.operators[k]!;
      if (!op.outputs.some((o) => needed.has(o))) continue;
      const out = op.outputs[0];
      const outShape = out === undefined || out < 0 ? [] : tensor(out, `operator #${op.index} output`).shape;
      for (const i of dataDependencies(opNames[k]!, op, outShape)) needed.add(i);
    }
    const live = graph.operators.filter((op) => op.outputs.some((o) => needed.has(o)));
    const unsupported = new Map<string, number>();
    for (const op of live) {
      const n = opNames[op.index]!;
      if (!isSupportedOp(n)) unsupported.set(n, (unsupported.get(n) ?? 0) + 1);
    }
    if (unsupported.size > 0) {
      const list = [...unsupported].map(([n, c]) => (c > 1 ? `${n} (${c}×)` : n)).join(', ');
      throw new FeatvisError(
        `model '${this.modelName}' (${fileName}) uses TFLite operator${unsupported.size > 1 ? 's' : ''} ${list} that featvis does not support. ` +
          `Supported: ${SUPPORTED_TFLITE_OPS.join(', ')}.`,
      );
    }

    for (const op of live) {
      const opName = opNames[op.index]!;
      if (op.outputs.length !== 1) throw new FeatvisError(`${fileName}: operator #${op.index} ${opName} has ${op.outputs.length} outputs, expected 1`);
      const outIndex = op.outputs[0]!;
      const outTensor = tensor(outIndex, `operator #${op.index} output`);
      for (const i of op.inputs) if (i >= 0) tensor(i, `operator #${op.index} ${opName} input`);
      const fail = (problem: string) =>
        new FeatvisError(`model '${this.modelName}' (${fileName}): ${opName} operator #${op.index} (output '${outTensor.name}'): ${problem}`);
      const env: OpEnv = {
        shape: (i) => graph.tensors[i]?.shape ?? [],
        constant: (i) => this.constant(i, consts, isConstant, model, tensor, fail),
        ints: (i, what) => {
          if (!isConstant(i)) throw fail(`${what} must be a constant tensor`);
          const t = tensor(i, what);
          if (t.type !== TensorType.INT32 && t.type !== TensorType.INT64) throw fail(`${what} must be int32 or int64, got ${tensorTypeName(t.type)}`);
          return Array.from(rawValues(t, model.buffers[t.buffer]!, fail));
        },
        keep: <T extends Tensor>(t: T): T => {
          this.weights.add(t);
          this.made.add(t);
          return tf.keep(t);
        },
        fail,
      };
      const built = buildOp(opName, op, env);
      const sources = built.data.map((i) => {
        const node = runtime.get(i);
        if (node !== undefined) return { node };
        const c = env.constant(i);
        if (c) return { constant: c };
        throw fail(`reads tensor '${tensor(i, 'input').name}', which no earlier operator computes`);
      });
      if (sources.every((s) => s.constant)) {
        // Constant folding (e.g. DEQUANTIZE of float16 weights).
        const v = tf.keep(tf.tidy(() => built.run(sources.map((s) => s.constant!))));
        this.made.add(v);
        consts.set(outIndex, v);
        continue;
      }
      for (const s of sources) if (s.constant) this.weights.add(s.constant);
      const name = this.uniqueName(outTensor.name, op.index);
      const inputs = sources.filter((s) => s.node !== undefined).map((s) => s.node!);
      const modelName = this.modelName;
      this.nodes.push({
        name,
        inputs,
        kind: built.kind,
        run: (rt) => {
          let k = 0;
          const xs = sources.map((s) => (s.constant ? s.constant : rt[k++]!));
          try {
            return built.run(xs);
          } catch (err) {
            if (err instanceof FeatvisError) throw err;
            throw new FeatvisError(`model '${modelName}': TFLite ${opName} '${name}' failed: ${err instanceof Error ? err.message : String(err)}`);
          }
        },
      });
      runtime.set(outIndex, name);
      if (opName === 'SOFTMAX' && inputs.length === 1) this.softmaxInput.set(name, inputs[0]!);
    }
    const outIndex = graph.outputs[0];
    const outNode = outIndex === undefined ? undefined : runtime.get(outIndex);
    if (outIndex === undefined || outNode === undefined) throw new FeatvisError(`${fileName}: the graph output is not computed from its input`);
    return { node: outNode, tensor: tensor(outIndex, 'graph output') };
  }

  private constant(
    i: number,
    consts: Map<number, Tensor>,
    isConstant: (i: number) => boolean,
    model: TfliteModel,
    tensor: (i: number, what: string) => TfliteTensor,
    fail: (problem: string) => FeatvisError,
  ): Tensor | null {
    const cached = consts.get(i);
    if (cached) return cached;
    if (!isConstant(i)) return null;
    const t = tensor(i, 'constant');
    const values = dequantize(t, model.buffers[t.buffer]!, fail);
    const v = tf.keep(tf.tensor(values, t.shape, 'float32'));
    this.made.add(v);
    consts.set(i, v);
    return v;
  }

  private opName(model: TfliteModel, op: TfliteOperator, file: string): string {
    const code = model.operatorCodes[op.opcodeIndex];
    if (!code) throw new FeatvisError(`${file}: operator #${op.index} uses opcode ${op.opcodeIndex}, but the model has ${model.operatorCodes.length} opcodes`);
    const name = builtinOperatorName(code.builtinCode);
    return name === 'CUSTOM' ? `CUSTOM '${code.customCode ?? '?'}'` : name;
  }

  private uniqueName(tensorName: string, opIndex: number): string {
    let base = (tensorName.split(';')[0] ?? '').trim();
    if (base === '') base = `op_${opIndex}`;
    let name = base;
    for (let k = 1; name === INPUT || this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  /** The node list with alias nodes (hidden identities) right after their targets. */
  finish(): { nodes: GraphNode[]; aliases: Record<string, string>; visible: Set<string> } {
    const visible = new Set(this.nodes.map((n) => n.name));
    // Drop scope components shared by every name (e.g. `MobilenetV2`), and trailing noise.
    const first = new Set(this.nodes.map((n) => n.name.split('/')[0]));
    const scope = first.size === 1 && this.nodes.every((n) => n.name.includes('/')) ? [...first][0]! : null;
    const proposals = new Map<string, string[]>();
    for (const n of this.nodes) {
      const parts = n.name.split('/');
      while (scope && parts.length > 1 && parts[0] === scope) parts.shift();
      if (parts.length > 1 && NOISE.test(parts[parts.length - 1]!)) parts.pop();
      const alias = parts.join('/');
      if (alias === n.name || alias === '' || alias === INPUT || this.names.has(alias)) continue;
      proposals.set(alias, [...(proposals.get(alias) ?? []), n.name]);
    }
    const aliases: Record<string, string> = {};
    const byTarget = new Map<string, string>();
    for (const [alias, targets] of proposals) {
      if (targets.length !== 1) continue;
      aliases[alias] = targets[0]!;
      byTarget.set(targets[0]!, alias);
    }
    const nodes: GraphNode[] = [];
    for (const n of this.nodes) {
      nodes.push(n);
      const a = byTarget.get(n.name);
      if (a) nodes.push({ name: a, inputs: [n.name], kind: 'alias', run: ([x]) => x! });
    }
    return { nodes, aliases, visible };
  }

  dispose(): void {
    for (const t of this.made) t.dispose();
    this.made.clear();
    this.weights.clear();
  }

  /** Frees load-time tensors no node captured (raw filters once transposed, folded intermediates). */
  pruneUnused(): void {
    for (const t of this.made) {
      if (!this.weights.has(t)) {
        t.dispose();
        this.made.delete(t);
      }
    }
  }
}

function matchesTflite(s: string): boolean {
  if (s.endsWith('.tflite')) return true;
  if (/^https?:/.test(s)) return false;
  try {
    return fs.statSync(s).isDirectory() && !fs.existsSync(path.join(s, 'model.json')) && fs.readdirSync(s).some((f) => f.endsWith('.tflite'));
  } catch {
    return false;
  }
}

/**
 * The loadModel loader for `.tflite` files, their URLs and folders of chained
 * .tflite graphs. A function declaration (hoisted), like zooLoaders(), so
 * load.ts can register it while this module is still being evaluated.
 */
export function tfliteLoaders(): ModelLoader[] {
  return [{ name: 'tflite', matches: matchesTflite, load: loadTflite }];
}
