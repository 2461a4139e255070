import type { FeatModel, LayerInfo } from '../core/types.js';

/** The embedded model (data/featvis-imagenette): works offline on any machine. */
export const DEFAULT_MODEL = 'featvis-imagenette';

/** How deep (fraction of the layer list) the suggested layer sits: mid-to-late blocks. */
const TARGET_DEPTH = 0.6;

/** Layer kinds that join branches: block outputs of residual and Inception-style networks. */
const JOIN = /^(add|addv2|add_n|addn|concatenate|concat|concatv2|concatenation)$/i;
/** Names of whole blocks/stages: `mixed5`, `stage3`, `block4`, `layer3`, `conv4_x`, `fire6/concat`. */
const BLOCK_NAME = /(^|[/_])(mixed|stage|block|layer|conv)\d+(_x)?$|(^|\/)fire\d+\/concat$/i;
/** Inner parts of a block, never suggested: convolutions, normalisation, padding, projections. */
const INNER_KIND = /conv|batch_?norm|fusedbatchnorm|pad|dense|matmul|bias|reshape|flatten|squeeze|dropout|softmax|const|identity/i;
const ACTIVATION_KIND = /relu|activation|elu|swish|silu|gelu|sigmoid|tanh|hard_?swish|mish/i;
/** A convolution whose output is post-activation (TFLite fuses ReLU/ReLU6 into the conv op). */
const FUSED_ACTIVATION_NAME = /\/(relu6?|activation)$/i;

function isSpatial(l: LayerInfo): boolean {
  return l.shape.length === 3 && (l.shape[0] ?? 0) >= 2 && (l.shape[2] ?? 0) >= 16;
}

/**
 * A structural guess at a layer worth visualising: a block output (a named
 * block/stage, else a branch join: add / concatenate), else an activation,
 * about 60 % deep; never a BatchNorm or an inner convolution. Auto-named inner
 * joins (`concatenate_1`, `mixed9_0`) rank below named block outputs.
 */
export function structuralLayer(layers: readonly LayerInfo[]): string | null {
  const n = layers.length;
  const depth = (i: number): number => (n > 1 ? i / (n - 1) : 0);
  const tier = candidateTier(layers);
  if (tier.length === 0) return null;
  let best = tier[0]!;
  for (const c of tier) if (Math.abs(depth(c.i) - TARGET_DEPTH) < Math.abs(depth(best.i) - TARGET_DEPTH)) best = c;
  return best.l.name;
}

/** The best tier of layers worth visualising (named blocks, else joins, else activations, else pools), in network order. */
function candidateTier(layers: readonly LayerInfo[]): Array<{ l: LayerInfo; i: number }> {
  const indexed = layers.map((l, i) => ({ l, i })).filter(({ l }) => isSpatial(l));
  const block = indexed.filter(({ l }) => BLOCK_NAME.test(l.name) && !INNER_KIND.test(l.kind));
  const join = indexed.filter(({ l }) => JOIN.test(l.kind));
  const act = indexed.filter(({ l }) => (ACTIVATION_KIND.test(l.kind) && !/conv|batch_?norm|dense/i.test(l.kind)) || FUSED_ACTIVATION_NAME.test(l.name));
  const pool = indexed.filter(({ l }) => /pool/i.test(l.kind) && !/global/i.test(l.kind));
  return [block, join, act, pool].find((t) => t.length > 0) ?? [];
}

/**
 * The layers structuralLayer chooses among, in network order: block outputs
 * where the network names them (mixed0…mixed10, stage1…), else branch joins,
 * else activations. What a layer survey (DeepDream across layers) should walk.
 */
export function candidateLayers(layers: readonly LayerInfo[]): string[] {
  return candidateTier(layers).map(({ l }) => l.name);
}

/** A layer worth looking at when the user names none: the model's hint, else a structural guess. */
export function defaultLayer(model: FeatModel): string {
  if (model.suggestedLayer) return model.suggestedLayer;
  const guess = structuralLayer(model.layers);
  if (guess) return guess;
  const pick = model.layers[Math.floor(model.layers.length * TARGET_DEPTH)] ?? model.layers[0];
  if (!pick) throw new Error(`model ${model.name} has no layers`);
  return pick.name;
}
