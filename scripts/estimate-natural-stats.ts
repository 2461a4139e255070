/**
 * Estimates data/natural-stats.json (colour covariance square root and mean
 * Fourier magnitude of natural photos, see src/optvis/param/naturalStats.ts)
 * from a folder of photos, by default the 1,000 ImageNet samples in ../shared:
 *
 *   node --import tsx scripts/estimate-natural-stats.ts [--images <folder>] [--size 128] [--limit 1000] [--out data/natural-stats.json]
 */
import fs from 'node:fs';
import { Args, parseArgs } from '../src/cli/args.js';
import { listImages } from '../src/data/folder.js';
import { readImage } from '../src/data/image.js';
import { colorCovarianceSqrt, encodeStats, meanSpectrum } from '../src/optvis/param/naturalStats.js';

const a = new Args(parseArgs(process.argv.slice(2)));
const folder = a.str('images', '../shared/images/imagenet_samples_320');
const size = a.num('size', 128, (n) => Number.isInteger(n) && n >= 16 && n <= 512, 'an integer in 16–512');
const limit = a.num('limit', 1000, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
const out = a.str('out', 'data/natural-stats.json');
a.finish();

const all = listImages(folder).map((e) => e.path);
const files = all.filter((_, i) => i % Math.max(1, Math.floor(all.length / limit)) === 0).slice(0, limit);
console.error(`reading ${files.length} images from ${folder} at ${size}×${size} (centre crop) …`);
const images = [];
for (const f of files) images.push(await readImage(f, [size, size], 'cover'));
const colorSqrt = colorCovarianceSqrt(images);
console.error('colour covariance square root (columns by decreasing variance):');
for (const r of colorSqrt) console.error('  ' + r.map((x) => x.toFixed(4).padStart(8)).join(' '));
const spectrum = meanSpectrum(images, colorSqrt);
fs.writeFileSync(out, encodeStats({ size, colorSqrt, spectrum, images: files.length, source: `${files.length} photos from ${folder.replace(/^.*\/shared\//, 'shared/')} (centre crops, ${size} px)` }) + '\n');
console.error(`wrote ${out} (${fs.statSync(out).size} bytes)`);
