/** npm install's native-backend setup says in one line what it does offline, never an installer stack trace (issue 15, item 9). */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './helpers/python.js';

interface Setup {
  downloadHostReachable(host?: string): boolean;
  installerFailure(output: string): string;
}

const load = async (): Promise<Setup> => (await import(pathToFileURL(path.join(repoRoot, 'environment', 'setup-tfjs-node.mjs')).href)) as Setup;

test('an unresolvable download host is detected before the installer runs', async () => {
  const setup = await load();
  assert.equal(setup.downloadHostReachable('featvis-test.invalid'), false);
});

test("a failed installer is summarised by its error line, not its stack", async () => {
  const setup = await load();
  const output = [
    '* Downloading libtensorflow',
    'node:internal/process/promises:391',
    '    triggerUncaughtException(err, true /* fromPromise */);',
    'Error: getaddrinfo ENOTFOUND storage.googleapis.com',
    '    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:120:26) {',
    "  errno: -3008,",
    '}',
  ].join('\n');
  assert.equal(setup.installerFailure(output), 'Error: getaddrinfo ENOTFOUND storage.googleapis.com');
});
