/** The atlas job's defaults (no TensorFlow: the CLI's help reads them). */
export const ATLAS_DEFAULTS = Object.freeze({
  diverse: 4,
  diversityWeight: 0.3,
  k: 9,
  heldOut: 9,
  mineBatch: 32,
  scoreSize: 128,
  probeImages: 256,
  thumb: 112,
});
