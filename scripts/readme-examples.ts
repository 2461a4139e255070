/**
 * The README's example grids: the top half (title + 8 channels) of grids written by
 * bench/recipes.ts, as JPEGs under docs/images/. Run the benches first (README, "Image quality").
 *
 *   node --import tsx scripts/readme-examples.ts
 */
import fs from 'node:fs';
import sharp from 'sharp';

const R = 'runs/recipes';
const picks: Array<[string, string]> = [
  [`${R}/featvis-imagenette/stage3/maco_standard.png`, 'am-featvis-imagenette-stage3.jpg'],
  [`${R}/mobilenet_v2_1.0_224_quant/MobilenetV2_expanded_conv_7_add/maco_standard.png`, 'am-mobilenetv2-expanded_conv_7.jpg'],
  [`${R}/nsfwjs_inception_v3/mixed5/maco_standard.png`, 'am-inceptionv3-mixed5.jpg'],
  [`${R}/nsfwjs_inception_v3/mixed6/maco_standard.png`, 'am-inceptionv3-mixed6.jpg'],
  [`${R}/nsfwjs_inception_v3/mixed5/fft_dec_standard.png`, 'am-inceptionv3-mixed5-fft-before.jpg'],
];
fs.mkdirSync('docs/images', { recursive: true });
for (const [src, dst] of picks) {
  const meta = await sharp(src).metadata();
  const half = Math.round((meta.height ?? 0) * 0.515);
  await sharp(src).extract({ left: 0, top: 0, width: meta.width!, height: half }).jpeg({ quality: 80, mozjpeg: true }).toFile(`docs/images/${dst}`);
  console.log(`docs/images/${dst}: ${fs.statSync(`docs/images/${dst}`).size} bytes`);
}
