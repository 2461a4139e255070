/** Rewrites the README's command table from the CLI's command specs: `npm run readme:commands`. */
import path from 'node:path';
import { packageRoot } from '../src/core/paths.js';
import { updateReadme } from '../src/cli/readmeTable.js';

const file = path.join(packageRoot(), 'README.md');
console.log((await updateReadme(file)) ? `updated the command table in ${file}` : `${file}: the command table is current`);
