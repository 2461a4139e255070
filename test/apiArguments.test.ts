/**
 * API misuse (issue 14, item 10): wrong argument types at the public API give
 * a FeatvisError naming the function and the argument, not a TypeError from
 * deep inside (e.g. closestNames(null)).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closestNames, FeatvisError, unknownLayerError } from '../src/core/errors.js';
import { channel, channels, direction, layer, neuron, sum } from '../src/optvis/objectives.js';
import { parseChannelList, parseObjective } from '../src/optvis/objectiveParse.js';
import { resolveImageSource, walkImages } from '../src/data/folder.js';
import { readTfjsArtifacts } from '../src/models/tfjsFiles.js';

/** Calls `fn` with values of the wrong type and expects a FeatvisError matching `re` (never a TypeError/RangeError). */
function refuses(fn: () => unknown, re: RegExp, label: string): void {
  assert.throws(fn, (err: Error) => {
    assert.ok(err instanceof FeatvisError, `${label}: ${err.constructor.name}: ${err.message}`);
    assert.match(err.message, re, label);
    return true;
  });
}

const bad = <T>(v: unknown): T => v as T;

test('objectives check their arguments', () => {
  for (const v of [null, undefined, 42, '', {}, ['a']]) {
    const label = JSON.stringify(v) ?? 'undefined';
    refuses(() => channel(bad(v), 0), /^channel\(\): layer must be a non-empty string, got /, `channel(${label})`);
    refuses(() => channels(bad(v), [0]), /^channels\(\): layer must be a non-empty string/, `channels(${label})`);
    refuses(() => neuron(bad(v), 0), /^neuron\(\): layer must be a non-empty string/, `neuron(${label})`);
    refuses(() => layer(bad(v)), /^layer\(\): name must be a non-empty string/, `layer(${label})`);
    refuses(() => direction(bad(v), [1]), /^direction\(\): layer must be a non-empty string/, `direction(${label})`);
  }
  for (const c of [null, -1, 1.5, NaN, Infinity, '3', 2 ** 60]) {
    refuses(() => channel('mixed6', bad(c)), /^channel\(\): channel must be an integer ≥ 0, got /, `channel(c=${String(c)})`);
    refuses(() => neuron('mixed6', bad(c)), /^neuron\(\): channel must be an integer ≥ 0/, `neuron(c=${String(c)})`);
    refuses(() => neuron('mixed6', 0, bad(c)), /^neuron\(\): x must be an integer ≥ 0/, `neuron(x=${String(c)})`);
  }
  refuses(() => channels('mixed6', bad(null)), /channels must be an array of integers ≥ 0, got null/, 'channels(null list)');
  refuses(() => channels('mixed6', bad([0, '1'])), /channels\[1\] must be an integer ≥ 0, got the string '1'/, 'channels([0,"1"])');
  refuses(() => channels('mixed6', bad({ length: 1e12 })), /must be an array/, 'channels(array-like)');
  refuses(() => direction('mixed6', bad([1, NaN])), /vector\[1\] must be a finite number/, 'direction NaN');
  refuses(() => direction('mixed6', []), /vector must not be empty/, 'direction []');
  refuses(() => sum(bad(null)), /sum\(\): expects an array of objectives/, 'sum(null)');
  refuses(() => sum(bad([channel('a', 0), 3])), /sum\(\): item 1 is not an objective/, 'sum([obj, 3])');
  // Valid calls still work.
  assert.equal(channel('mixed6', 48).name, 'mixed6:48');
  assert.equal(channels('mixed6', bad(new Int32Array([1, 2]))).name, 'mixed6:[1,2]');
  assert.equal(neuron('mixed6', 1, 2, 3).name, 'mixed6:1@2,3');
  assert.equal(sum([layer('a'), layer('b')]).name, 'a + b');
});

test('parsers, name lookups and loaders check their arguments', async () => {
  for (const v of [null, undefined, 7, {}]) {
    const label = JSON.stringify(v) ?? 'undefined';
    refuses(() => parseChannelList(bad(v)), /^parseChannelList\(\): spec must be a string/, `parseChannelList(${label})`);
    refuses(() => parseObjective(bad(v)), /^parseObjective\(\): expr must be a string/, `parseObjective(${label})`);
    refuses(() => closestNames(bad(v), ['a']), /^closestNames: name must be a string/, `closestNames(${label})`);
    refuses(() => closestNames('a', bad(v)), /^closestNames: candidates must be an array of strings/, `closestNames(a, ${label})`);
    refuses(() => walkImages(bad(v)), /image folder must be a non-empty path string/, `walkImages(${label})`);
    await assert.rejects(readTfjsArtifacts(bad(v)), (err: Error) => err instanceof FeatvisError && /source must be a non-empty string/.test(err.message), `readTfjsArtifacts(${label})`);
  }
  refuses(() => resolveImageSource(bad({ files: [] })), /images must be a folder path, a list of image paths or \{ root, files\?, limit\? \}/, 'resolveImageSource({})');
  assert.match(unknownLayerError(bad(null), ['a'], 'm').message, /the layer name must be a string, got null/);
  // Non-string candidates are ignored; a huge name does not make the distance quadratic in its length.
  assert.deepEqual(closestNames('conv', ['conv1', bad(null), 'dense']), ['conv1', 'dense']);
  const t0 = performance.now();
  closestNames('x'.repeat(1_000_000), Array.from({ length: 500 }, (_, i) => `layer_${i}`));
  assert.ok(performance.now() - t0 < 2000, `closestNames on a 1 MB name took ${performance.now() - t0} ms`);
  assert.ok(!unknownLayerError('a\nb'.repeat(100), ['ab'], 'm').message.includes('\n'), 'control characters in names are escaped: one line');
});
