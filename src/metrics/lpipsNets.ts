/**
 * The three LPIPS backbones (torchvision AlexNet, VGG16 and SqueezeNet 1.1
 * feature stacks) rebuilt in tfjs from torchvision state dicts, with torch's
 * exact padding and pooling (AlexNet/VGG floor-mode max pools, SqueezeNet
 * ceil-mode max pools), as GraphFeatModels whose layers include the taps
 * richzhang/PerceptualSimilarity reads (lpips/pretrained_networks.py).
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D } from '../backend/tf.js';
import type { RemoteFile } from '../io/cache.js';
import type { TorchStateDict } from '../io/pth.js';
import { FeatvisError } from '../core/errors.js';
import { GraphFeatModel, INPUT, type GraphNode } from '../models/graph.js';
import type { Preprocess } from '../core/types.js';

export type LpipsNet = 'alex' | 'vgg' | 'squeeze';
export const LPIPS_NETS: readonly LpipsNet[] = ['alex', 'vgg', 'squeeze'];

export interface BackboneInfo {
  /** Human-readable network name. */
  title: string;
  /** Node names of the LPIPS taps, in order (relu1..relu5 / relu1_2.. / relu1, fire3..fire9). */
  taps: readonly string[];
  /** Channels of each tap (the `chns` of lpips.py). */
  channels: readonly number[];
  /** Official torchvision weights; the file name carries the first 8 hex digits of its sha256. */
  weights: RemoteFile & { sha256Prefix: string };
}

export const BACKBONES: Readonly<Record<LpipsNet, BackboneInfo>> = {
  alex: {
    title: 'torchvision AlexNet features',
    taps: ['relu1', 'relu2', 'relu3', 'relu4', 'relu5'],
    channels: [64, 192, 384, 256, 256],
    weights: {
      url: 'https://download.pytorch.org/models/alexnet-owt-7be5be79.pth',
      cacheName: 'torchvision/alexnet-owt-7be5be79.pth',
      sha256Prefix: '7be5be79',
      description: 'torchvision AlexNet ImageNet weights (LPIPS alex backbone)',
    },
  },
  vgg: {
    title: 'torchvision VGG16 features',
    taps: ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3', 'relu5_3'],
    channels: [64, 128, 256, 512, 512],
    weights: {
      url: 'https://download.pytorch.org/models/vgg16-397923af.pth',
      cacheName: 'torchvision/vgg16-397923af.pth',
      sha256Prefix: '397923af',
      description: 'torchvision VGG16 ImageNet weights (LPIPS vgg backbone)',
    },
  },
  squeeze: {
    title: 'torchvision SqueezeNet 1.1 features',
    taps: ['relu1', 'fire3', 'fire5', 'fire6', 'fire7', 'fire8', 'fire9'],
    channels: [64, 128, 256, 384, 384, 512, 512],
    weights: {
      url: 'https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth',
      cacheName: 'torchvision/squeezenet1_1-b8a52dc0.pth',
      sha256Prefix: 'b8a52dc0',
      description: 'torchvision SqueezeNet 1.1 ImageNet weights (LPIPS squeeze backbone)',
    },
  },
};

/** Maps a full LPIPS model state dict (`net.sliceK.<i>.…`) onto torchvision's `features.<i>.…` keys. */
export function normalizeBackboneKeys(sd: TorchStateDict): TorchStateDict {
  if ([...sd.keys()].some((k) => k.startsWith('features.'))) return sd;
  const out: TorchStateDict = new Map();
  for (const [k, v] of sd) {
    const m = /^(?:net\.)?slice\d+\.(\d+)\.(.+)$/.exec(k);
    if (m) out.set(`features.${m[1]}.${m[2]}`, v);
  }
  return out.size > 0 ? out : sd;
}

// ---------------------------------------------------------------- layer builders

class Builder {
  readonly nodes: GraphNode[] = [];
  readonly weights: Tensor[] = [];
  private last = INPUT;

  constructor(
    private readonly sd: TorchStateDict,
    private readonly source: string,
  ) {}

  private param(key: string, shape: number[]): Float32Array {
    const t = this.sd.get(key);
    if (!t) {
      throw new FeatvisError(`${this.source}: missing '${key}' (is this the right network's torchvision state dict? it has ${this.sd.size} tensors, e.g. ${[...this.sd.keys()].slice(0, 4).join(', ')})`);
    }
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new FeatvisError(`${this.source}: '${key}' has shape [${t.shape}], expected [${shape}]`);
    }
    return t.data;
  }

  /** A torch Conv2d (OIHW weight, bias) as HWIO tfjs tensors. */
  convWeights(prefix: string, cin: number, cout: number, k: number): { w: Tensor4D; b: Tensor1D } {
    const wData = this.param(`${prefix}.weight`, [cout, cin, k, k]);
    const bData = this.param(`${prefix}.bias`, [cout]);
    const w = tf.tidy(() => tf.transpose(tf.tensor4d(wData, [cout, cin, k, k]), [2, 3, 1, 0]) as Tensor4D);
    const b = tf.tensor1d(bData);
    this.weights.push(w, b);
    return { w, b };
  }

  add(name: string, kind: string, run: (x: Tensor4D) => Tensor4D, inputs: string[] = [this.last]): void {
    this.nodes.push({ name, kind, inputs, run: (xs) => tf.tidy(() => run(xs[0] as Tensor4D)) });
    this.last = name;
  }

  conv(name: string, prefix: string, cin: number, cout: number, k: number, stride: number, pad: number): void {
    const { w, b } = this.convWeights(prefix, cin, cout, k);
    this.add(name, 'conv2d', (x) => tf.add(tf.conv2d(padHW(x, pad), w, stride, 'valid'), b));
  }

  relu(name: string): void {
    this.add(name, 'relu', (x) => tf.relu(x));
  }

  maxPool(name: string, k: number, stride: number, ceil: boolean): void {
    this.add(name, 'maxpool', (x) => tf.maxPool(ceil ? ceilModePad(x, k, stride) : x, k, stride, 'valid'));
  }

  /** torchvision SqueezeNet Fire module: squeeze 1x1 + ReLU, then [expand 1x1 + ReLU, expand 3x3 (pad 1) + ReLU] concatenated. */
  fire(name: string, prefix: string, cin: number, squeeze: number, e1: number, e3: number): void {
    const s = this.convWeights(`${prefix}.squeeze`, cin, squeeze, 1);
    const x1 = this.convWeights(`${prefix}.expand1x1`, squeeze, e1, 1);
    const x3 = this.convWeights(`${prefix}.expand3x3`, squeeze, e3, 3);
    this.add(name, 'fire', (x) => {
      const h = tf.relu(tf.add(tf.conv2d(x, s.w, 1, 'valid'), s.b)) as Tensor4D;
      const a = tf.relu(tf.add(tf.conv2d(h, x1.w, 1, 'valid'), x1.b)) as Tensor4D;
      const c = tf.relu(tf.add(tf.conv2d(padHW(h, 1), x3.w, 1, 'valid'), x3.b)) as Tensor4D;
      return tf.concat([a, c], 3);
    });
  }
}

function padHW(x: Tensor4D, p: number): Tensor4D {
  return p > 0 ? tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]) : x;
}

/** torch MaxPool2d(ceil_mode=True, padding=0): extend bottom/right with -inf so the last partial window counts. */
function ceilModePad(x: Tensor4D, k: number, s: number): Tensor4D {
  const extra = (n: number): number => {
    let out = Math.ceil((n - k) / s) + 1;
    if ((out - 1) * s >= n) out--; // the last window must start inside the input
    return Math.max(0, (out - 1) * s + k - n);
  };
  const ph = extra(x.shape[1]);
  const pw = extra(x.shape[2]);
  return ph || pw ? tf.pad(x, [[0, 0], [0, ph], [0, pw], [0, 0]], -Infinity) : x;
}

function buildAlex(b: Builder): void {
  b.conv('conv1', 'features.0', 3, 64, 11, 4, 2);
  b.relu('relu1');
  b.maxPool('pool1', 3, 2, false);
  b.conv('conv2', 'features.3', 64, 192, 5, 1, 2);
  b.relu('relu2');
  b.maxPool('pool2', 3, 2, false);
  b.conv('conv3', 'features.6', 192, 384, 3, 1, 1);
  b.relu('relu3');
  b.conv('conv4', 'features.8', 384, 256, 3, 1, 1);
  b.relu('relu4');
  b.conv('conv5', 'features.10', 256, 256, 3, 1, 1);
  b.relu('relu5');
}

function buildVgg16(b: Builder): void {
  const cfg: Array<number[]> = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]];
  let idx = 0;
  let cin = 3;
  cfg.forEach((block, bi) => {
    if (bi > 0) {
      b.maxPool(`pool${bi}`, 2, 2, false);
      idx++;
    }
    block.forEach((cout, ci) => {
      b.conv(`conv${bi + 1}_${ci + 1}`, `features.${idx}`, cin, cout, 3, 1, 1);
      b.relu(`relu${bi + 1}_${ci + 1}`);
      idx += 2;
      cin = cout;
    });
  });
}

function buildSqueeze11(b: Builder): void {
  b.conv('conv1', 'features.0', 3, 64, 3, 2, 0);
  b.relu('relu1');
  b.maxPool('pool1', 3, 2, true);
  b.fire('fire2', 'features.3', 64, 16, 64, 64);
  b.fire('fire3', 'features.4', 128, 16, 64, 64);
  b.maxPool('pool3', 3, 2, true);
  b.fire('fire4', 'features.6', 128, 32, 128, 128);
  b.fire('fire5', 'features.7', 256, 32, 128, 128);
  b.maxPool('pool5', 3, 2, true);
  b.fire('fire6', 'features.9', 256, 48, 192, 192);
  b.fire('fire7', 'features.10', 384, 48, 192, 192);
  b.fire('fire8', 'features.11', 384, 64, 256, 256);
  b.fire('fire9', 'features.12', 512, 64, 256, 256);
}

const BUILDERS: Record<LpipsNet, (b: Builder) => void> = { alex: buildAlex, vgg: buildVgg16, squeeze: buildSqueeze11 };

/**
 * Builds the feature stack of `net` (up to its last LPIPS tap) from a torchvision
 * state dict (`features.<i>.weight/bias`, or an LPIPS model's `net.sliceK.<i>.…`).
 */
export function buildBackbone(net: LpipsNet, stateDict: TorchStateDict, opts: { source: string; preprocess: Preprocess; name?: string }): GraphFeatModel {
  const b = new Builder(normalizeBackboneKeys(stateDict), opts.source);
  try {
    BUILDERS[net](b);
    return new GraphFeatModel({
      name: opts.name ?? `${BACKBONES[net].title}`,
      nodes: b.nodes,
      preprocess: opts.preprocess,
      dispose: () => b.weights.forEach((t) => t.dispose()),
    });
  } catch (err) {
    b.weights.forEach((t) => t.dispose());
    throw err;
  }
}
