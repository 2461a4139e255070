/** `featvis lpips a.png b.png`: perceptual distance between two images (and optionally its spatial map). */
import { tf, type Tensor4D } from '../backend/tf.js';
import { readImageBatch, savePng } from '../data/image.js';
import { createMetric } from '../experiments/metricFactory.js';
import { metricFromArgs } from './metricArgs.js';
import type { CommandArgs } from './options.js';

export async function run(a: CommandArgs): Promise<void> {
  const [fa, fb] = a.positionals as [string, string];
  const size = a.int('size', { min: 16 });
  const spatial = a.optStr('spatial');
  const cfg = metricFromArgs(a);
  const metric = await createMetric(cfg);
  const x = await readImageBatch([fa, fb], [size, size], 'fill');
  try {
    const [ia, ib] = tf.split(x, 2, 0) as [Tensor4D, Tensor4D];
    const d = metric.distance(ia, ib).dataSync()[0]!;
    console.log(`${metric.label}: ${d.toFixed(6)}`);
    console.log(metric.describe());
    if (spatial) {
      const map = metric.spatialMap(ia, ib);
      const norm = tf.tidy(() => {
        const m = tf.squeeze(map, [0]);
        const rgb = tf.tile(tf.div(m, tf.add(tf.max(m), 1e-12)), [1, 1, 3]);
        return rgb as unknown as import('../backend/tf.js').Tensor3D;
      });
      await savePng(spatial, norm);
      tf.dispose([map, norm]);
      console.log(`spatial map → ${spatial}`);
    }
    tf.dispose([ia, ib]);
  } finally {
    x.dispose();
    metric.dispose();
  }
}
