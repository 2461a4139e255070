/**
 * The offline backbones' ids, as data (no TensorFlow: the CLI's help reads
 * them). backbones.ts holds the specs, in this order, and checks the two agree
 * when it loads.
 */
export const BACKBONE_IDS: readonly string[] = Object.freeze(['mobilenet_v2', 'mobilenet_v1', 'squeezenet', 'inception_v3']);
