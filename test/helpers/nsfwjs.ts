/** The nsfwjs devDependency (its bundled models are test fixtures for real InceptionV3 weights). */
import { FeatvisError } from '../../src/core/errors.js';
import { nsfwjsPackageDir } from '../../src/models/nsfwjs.js';

/** A skip reason when nsfwjs is not installed (and FEATVIS_REQUIRE_NSFWJS is unset), else false. */
export function skipWithoutNsfwjs(): string | false {
  try {
    nsfwjsPackageDir();
    return false;
  } catch (err) {
    if (!(err instanceof FeatvisError)) throw err;
    if (process.env.FEATVIS_REQUIRE_NSFWJS) throw new Error(`nsfwjs is required (FEATVIS_REQUIRE_NSFWJS): ${err.message}`);
    return err.message;
  }
}
