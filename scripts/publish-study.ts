/**
 * Copies a finished study's page and pictures to a small folder that can be
 * committed or mailed: PNGs become JPEGs (longer side capped), index.html
 * points at them, report.html and the SQLite stores stay behind.
 *
 *   node --import tsx scripts/publish-study.ts runs/study/inceptionv3 docs/study-inceptionv3 [--max-side 2400] [--quality 78]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'max-side': { type: 'string', default: '2400' }, quality: { type: 'string', default: '78' } },
});
const [src, dst] = positionals;
if (!src || !dst) {
  console.error('usage: publish-study.ts <study dir> <out dir> [--max-side px] [--quality q]');
  process.exit(2);
}
const maxSide = Number(values['max-side']);
const quality = Number(values.quality);
let html = fs.readFileSync(path.join(src, 'index.html'), 'utf8');
fs.mkdirSync(dst, { recursive: true });
let total = 0;
// Only local PNGs the page names (relative, no '..'), each written once.
const names = [...new Set([...html.matchAll(/src="([^"]+\.png)"/g)].map((m) => m[1]!))].filter((n) => !n.includes('..') && !path.isAbsolute(n));
for (const name of names) {
  const jpg = name.replace(/\.png$/, '.jpg').replaceAll('/', '-');
  const img = sharp(path.join(src, name));
  const meta = await img.metadata();
  const long = Math.max(meta.width ?? 0, meta.height ?? 0);
  const buf = await (long > maxSide ? img.resize({ width: meta.width! >= meta.height! ? maxSide : undefined, height: meta.height! > meta.width! ? maxSide : undefined }) : img)
    .flatten({ background: '#ffffff' })
    .jpeg({ quality, mozjpeg: true })
    .toBuffer();
  fs.writeFileSync(path.join(dst, jpg), buf);
  total += buf.length;
  html = html.replaceAll(`src="${name}"`, `src="${jpg}"`);
  console.log(`${name} → ${jpg}: ${(buf.length / 1024).toFixed(0)} KiB`);
}
// The full report (Plotly inside, ~5 MB) is not published: the page says where it lives.
html = html.replaceAll('<a href="report.html">report.html</a>', '<code>report.html</code> in the run folder (not published here: it carries Plotly, about 5 MB)');
fs.writeFileSync(path.join(dst, 'index.html'), html);
total += Buffer.byteLength(html);
console.log(`${dst}: ${(total / 2 ** 20).toFixed(2)} MiB`);
