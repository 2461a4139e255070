/**
 * LPIPS (Zhang et al. 2018), computed exactly as richzhang/PerceptualSimilarity
 * (lpips/lpips.py) does: ScalingLayer (v0.1 only; v0.0 fed the [-1, 1] input
 * unscaled), backbone taps, unit-normalisation over channels
 * (x / (‖x‖₂ + 1e-10)), squared differences, the learned 1×1 "lin" heads,
 * spatial mean per layer (or bilinear upsampling to the input size for the
 * spatial map), sum over layers.
 *
 * `createLpipsLike` applies the same formula to any FeatModel's layers with all
 * channel weights equal to 1 (the reference's uncalibrated `lpips=False`
 * baseline). It is never labelled LPIPS.
 */
import path from 'node:path';
import { tf, type Tensor, type Tensor1D, type Tensor2D, type Tensor4D } from '../backend/tf.js';
import { ensureCached, fileDigest, type ProgressFn, type RemoteFile } from '../io/cache.js';
import { readTorchStateDict } from '../io/pth.js';
import { FeatvisError, unknownLayerError } from '../core/errors.js';
import type { FeatModel, Preprocess } from '../core/types.js';
import { BACKBONES, LPIPS_NETS, buildBackbone, type LpipsNet } from './lpipsNets.js';
import { SCORE_VARIANTS, featureEmbeddings, normalizeChannels, type ScoreMetric, type ScoreVariant } from './embedding.js';

export { BACKBONES, LPIPS_NETS, type LpipsNet } from './lpipsNets.js';

export type LpipsVersion = '0.1' | '0.0';

export interface DistanceOptions {
  /** Return the per-pixel map (N×H×W×1, each layer bilinearly upsampled to the input size) instead of the mean. */
  spatial?: boolean;
}

/**
 * A perceptual distance between two image batches (NHWC RGB in [0, 1]), also
 * usable as a ScoreMetric: `embed` gives rows whose squared Euclidean distance
 * is `distance` (variant 'lpips') or one of its spatially invariant variants.
 */
export interface PerceptualMetric extends ScoreMetric {
  readonly kind: 'lpips' | 'lpips-like';
  /** Short label for tables and plots, e.g. `LPIPS v0.1 alex` or `LPIPS-like(equal) squeezenet`. */
  readonly label: string;
  readonly layers: readonly string[];
  /**
   * One distance per image pair (a[i], b[i]); either batch may have size 1 and
   * is then compared with every image of the other. Differentiable.
   */
  distance(a: Tensor4D, b: Tensor4D): Tensor1D;
  distance(a: Tensor4D, b: Tensor4D, opts: DistanceOptions & { spatial: true }): Tensor4D;
  distance(a: Tensor4D, b: Tensor4D, opts?: DistanceOptions): Tensor1D | Tensor4D;
  /** Per-pixel distance map, N×H×W×1 (its spatial mean ≈ `distance`). */
  spatialMap(a: Tensor4D, b: Tensor4D): Tensor4D;
  /** Per-layer contributions, N×L (they sum to `distance`). */
  perLayer(a: Tensor4D, b: Tensor4D): Tensor2D;
  /** What is computed, with the network and the weight files actually used. */
  describe(): string;
  dispose(): void;
  /** The network the metric runs (not disposed by callers). */
  readonly features: FeatModel;
}

/** LPIPS ScalingLayer constants (lpips.py), RGB. */
export const LPIPS_SHIFT: [number, number, number] = [-0.03, -0.088, -0.188];
export const LPIPS_SCALE: [number, number, number] = [0.458, 0.448, 0.45];

export function lpipsPreprocess(version: LpipsVersion): Preprocess {
  return version === '0.1'
    ? { size: [64, 64], range: [-1, 1], channelOrder: 'RGB', mean: LPIPS_SHIFT, std: LPIPS_SCALE }
    : { size: [64, 64], range: [-1, 1], channelOrder: 'RGB' };
}

/** Upstream location of the linear heads (lpips/weights/v<version>/<net>.pth). */
export function linWeightsFile(net: LpipsNet, version: LpipsVersion): RemoteFile {
  return {
    url: `https://raw.githubusercontent.com/richzhang/PerceptualSimilarity/master/lpips/weights/v${version}/${net}.pth`,
    cacheName: `lpips/v${version}/${net}.pth`,
    description: `LPIPS v${version} linear heads for ${net}`,
  };
}

/**
 * Preprocessing of the `tfjs_squeezenet1.1_features_caffe` model (the DeepScale Caffe
 * SqueezeNet 1.1 via keras-squeezenet): BGR, 0–255, minus the Caffe ImageNet mean, as that port
 * documents. Pass as `loadModel(path, { preprocess: SQUEEZENET_CAFFE_PREPROCESS })`.
 */
export const SQUEEZENET_CAFFE_PREPROCESS: Preprocess = {
  size: [227, 227],
  range: [0, 255],
  channelOrder: 'BGR',
  mean: [104.006, 116.669, 122.679],
};

/** Layers of that Caffe SqueezeNet matching the torchvision LPIPS squeeze taps (fire9 has only its 3×3 branch there). */
export const SQUEEZENET_CAFFE_LPIPS_LIKE_LAYERS: readonly string[] = [
  'relu_conv1',
  'fire3/concat',
  'fire5/concat',
  'fire6/concat',
  'fire7/concat',
  'fire8/concat',
  'fire9/relu_expand3x3',
];

export interface LpipsOptions {
  net?: LpipsNet;
  version?: LpipsVersion;
  /** torchvision state dict for the backbone (default: official file, downloaded into the cache). */
  backboneWeights?: string;
  /** LPIPS linear heads `.pth` (default: upstream file, downloaded into the cache). */
  linWeights?: string;
  onProgress?: ProgressFn;
}

/** Creates the calibrated LPIPS metric for `net` (default alex, v0.1). */
export async function createLpips(opts: LpipsOptions = {}): Promise<PerceptualMetric> {
  const net = opts.net ?? 'alex';
  const version = opts.version ?? '0.1';
  if (!LPIPS_NETS.includes(net)) throw new FeatvisError(`unknown LPIPS network '${String(net)}': use one of ${LPIPS_NETS.join(', ')}`);
  if (version !== '0.1' && version !== '0.0') throw new FeatvisError(`unknown LPIPS version '${String(version)}': use 0.1 or 0.0`);
  const info = BACKBONES[net];

  let backbonePath = opts.backboneWeights;
  if (!backbonePath) {
    backbonePath = await ensureCached(info.weights, opts.onProgress);
    const digest = fileDigest(backbonePath, 'sha256');
    if (!digest.startsWith(info.weights.sha256Prefix)) {
      throw new FeatvisError(`${info.weights.description}: checksum mismatch for ${backbonePath} (sha256 ${digest} does not start with ${info.weights.sha256Prefix}). Delete it and retry.`);
    }
  }
  const linPath = opts.linWeights ?? (await ensureCached(linWeightsFile(net, version), opts.onProgress));

  const linSd = readTorchStateDict(linPath);
  const linData = info.channels.map((c, k) => {
    const t = linSd.get(`lin${k}.model.1.weight`) ?? linSd.get(`lin${k}.model.0.weight`);
    if (!t) throw new FeatvisError(`${linPath}: missing 'lin${k}.model.1.weight': not LPIPS linear heads for ${net} (found ${[...linSd.keys()].slice(0, 8).join(', ')})`);
    if (t.shape.join('x') !== `1x${c}x1x1`) throw new FeatvisError(`${linPath}: lin${k} has shape [${t.shape}], expected [1,${c},1,1] for ${net}`);
    return t.data;
  });
  const model = buildBackbone(net, readTorchStateDict(backbonePath), {
    source: backbonePath,
    preprocess: lpipsPreprocess(version),
    name: `${info.title} (LPIPS v${version})`,
  });
  const weights = linData.map((d) => tf.tensor1d(d));
  const description =
    `LPIPS v${version} (richzhang/PerceptualSimilarity), net ${net}: ${info.title}, taps ${info.taps.join(', ')}` +
    `${version === '0.0' ? ' (v0.0: input not scaled by the ScalingLayer, as in the reference)' : ''}; ` +
    `backbone weights ${path.resolve(backbonePath)}; linear heads ${path.resolve(linPath)}`;
  return new Metric({
    kind: 'lpips',
    label: `LPIPS v${version} ${net}`,
    model,
    layers: info.taps,
    weights,
    description,
    ownsModel: true,
  });
}

export interface LpipsLikeOptions {
  features: FeatModel;
  layers: readonly string[];
  /** Channel weights: only 'equal' (all 1) exists; calibrated heads need real LPIPS. */
  weights?: 'equal';
  /** Label for tables (default `LPIPS-like(equal) <model name>`). */
  label?: string;
  /** Appended to the description (where the weights come from, why this metric). */
  note?: string;
  /** `dispose()` also disposes `features` (default false: the caller owns it). */
  ownsFeatures?: boolean;
}

/**
 * The LPIPS formula with equal channel weights on any model's spatial layers.
 * `dispose()` disposes `features` only with `ownsFeatures` (else the caller owns it).
 */
export function createLpipsLike(opts: LpipsLikeOptions): PerceptualMetric {
  if ((opts.weights ?? 'equal') !== 'equal') throw new FeatvisError(`LPIPS-like supports only weights: 'equal'`);
  if (opts.layers.length === 0) throw new FeatvisError('LPIPS-like needs at least one layer');
  const names = opts.features.layers.map((l) => l.name);
  for (const l of opts.layers) {
    const info = opts.features.layers.find((x) => x.name === l);
    if (!info) throw unknownLayerError(l, names, opts.features.name);
    if (info.shape.length !== 3) throw new FeatvisError(`LPIPS-like needs spatial (H×W×C) layers; '${l}' has shape [${info.shape}]`);
  }
  const description =
    `LPIPS-like (equal weights) on ${opts.features.name} layers ${opts.layers.join(', ')}: ` +
    `the LPIPS formula (channel-normalised squared feature differences, spatial mean, sum over layers) with every channel weight 1. ` +
    `Uncalibrated: this is not LPIPS and its values are not comparable with LPIPS scores.` +
    (opts.note ? ` ${opts.note}` : '');
  return new Metric({
    kind: 'lpips-like',
    label: opts.label ?? `LPIPS-like(equal) ${opts.features.name}`,
    model: opts.features,
    layers: [...opts.layers],
    weights: opts.layers.map(() => null),
    description,
    ownsModel: opts.ownsFeatures ?? false,
  });
}

// ---------------------------------------------------------------- computation

interface MetricSpec {
  kind: 'lpips' | 'lpips-like';
  label: string;
  model: FeatModel;
  layers: readonly string[];
  /** Per-layer channel weights (the lin heads), or null for weight 1. */
  weights: ReadonlyArray<Tensor1D | null>;
  description: string;
  ownsModel: boolean;
}

class Metric implements PerceptualMetric {
  readonly kind: 'lpips' | 'lpips-like';
  readonly label: string;
  readonly layers: readonly string[];
  readonly variants: readonly ScoreVariant[] = SCORE_VARIANTS;
  private disposed = false;
  private negativeWeights: boolean | null = null;

  constructor(private readonly spec: MetricSpec) {
    this.kind = spec.kind;
    this.label = spec.label;
    this.layers = spec.layers;
  }

  get features(): FeatModel {
    return this.spec.model;
  }

  embed(images: Tensor4D): Partial<Record<ScoreVariant, Tensor2D>> {
    if (this.disposed) throw new FeatvisError(`${this.label}: used after dispose()`);
    // rows scaled by √w: squared distances equal the weighted formula only for weights ≥ 0 (LPIPS clamps its heads at 0)
    if (this.negativeWeights === null) this.negativeWeights = tf.tidy(() => this.spec.weights.some((w) => w !== null && w.min().dataSync()[0]! < 0));
    if (this.negativeWeights) throw new FeatvisError(`${this.label}: its channel weights include negative values, so it has no embedding; use distance()`);
    return tf.tidy(() => {
      const acts = this.run(images);
      const feats = this.layers.map((name) => {
        const f = acts[name]!;
        if (f.rank !== 4) throw new FeatvisError(`${this.label}: layer '${name}' is not spatial (shape [${f.shape}])`);
        return f as Tensor4D;
      });
      return featureEmbeddings(feats, this.spec.weights, this.variants);
    });
  }

  private run(images: Tensor4D): Record<string, Tensor> {
    try {
      return this.spec.model.activations(images, this.layers);
    } catch (err) {
      if (err instanceof FeatvisError) throw err;
      throw new FeatvisError(`${this.label}: cannot run ${this.spec.model.name} on ${images.shape[1]}×${images.shape[2]} images (too small?): ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  describe(): string {
    return this.spec.description;
  }

  distance(a: Tensor4D, b: Tensor4D): Tensor1D;
  distance(a: Tensor4D, b: Tensor4D, opts: DistanceOptions & { spatial: true }): Tensor4D;
  distance(a: Tensor4D, b: Tensor4D, opts?: DistanceOptions): Tensor1D | Tensor4D;
  distance(a: Tensor4D, b: Tensor4D, opts: DistanceOptions = {}): Tensor1D | Tensor4D {
    return tf.tidy(() => {
      const parts = this.layerMaps(a, b, opts.spatial ?? false);
      return parts.reduce((acc, t) => tf.add(acc, t)) as Tensor1D | Tensor4D;
    });
  }

  spatialMap(a: Tensor4D, b: Tensor4D): Tensor4D {
    return this.distance(a, b, { spatial: true });
  }

  perLayer(a: Tensor4D, b: Tensor4D): Tensor2D {
    return tf.tidy(() => tf.stack(this.layerMaps(a, b, false), 1) as Tensor2D);
  }

  /** Per-layer results: [N] means, or [N,H,W,1] upsampled maps. Call inside tidy. */
  private layerMaps(a: Tensor4D, b: Tensor4D, spatial: boolean): Tensor[] {
    if (this.disposed) throw new FeatvisError(`${this.label}: used after dispose()`);
    checkPair(a, b);
    const [na, h, w] = a.shape;
    const nb = b.shape[0];
    const acts = this.run(tf.concat([a, b], 0));
    return this.layers.map((name, k) => {
      const f = acts[name]!;
      if (f.rank !== 4) throw new FeatvisError(`${this.label}: layer '${name}' is not spatial (shape [${f.shape}])`);
      const [f0, f1] = tf.split(f as Tensor4D, [na, nb], 0) as [Tensor4D, Tensor4D];
      const d = tf.squaredDifference(normalizeChannels(f0), normalizeChannels(f1));
      const wk = this.spec.weights[k];
      const r = tf.sum(wk ? tf.mul(d, wk) : d, 3, true) as Tensor4D; // the 1×1 lin conv (no bias)
      return spatial ? tf.image.resizeBilinear(r, [h, w], false, true) : tf.mean(r, [1, 2, 3]);
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.spec.weights) t?.dispose();
    if (this.spec.ownsModel) this.spec.model.dispose();
  }
}


function checkPair(a: Tensor4D, b: Tensor4D): void {
  for (const [n, t] of [['a', a], ['b', b]] as const) {
    if (t.rank !== 4 || t.shape[3] !== 3) throw new FeatvisError(`image batch ${n} must be N×H×W×3 (RGB in [0, 1]); got shape [${t.shape}]`);
  }
  if (a.shape[1] !== b.shape[1] || a.shape[2] !== b.shape[2]) {
    throw new FeatvisError(`image batches differ in size: ${a.shape[1]}×${a.shape[2]} vs ${b.shape[1]}×${b.shape[2]} (resize them first)`);
  }
  if (a.shape[0] !== b.shape[0] && a.shape[0] !== 1 && b.shape[0] !== 1) {
    throw new FeatvisError(`batch sizes ${a.shape[0]} and ${b.shape[0]} differ (one of them may be 1 to compare against all)`);
  }
}
