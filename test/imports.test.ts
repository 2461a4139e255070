/** The source's import graph: no cycles, and the bottom layer (src/core) imports nothing above it. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../src/core/paths.js';

const SRC = path.join(packageRoot(), 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Value imports (type-only imports vanish at run time and cannot make cycles). */
function imports(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"](\.[^'"]+)['"]/gm)) if (!m[2]) out.push(m[3]!);
  for (const m of src.matchAll(/^\s*import\s+['"](\.[^'"]+)['"]/gm)) out.push(m[1]!);
  for (const m of src.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out.map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts'));
}

const graph = new Map(sourceFiles(SRC).map((f) => [f, imports(f)]));
const rel = (f: string): string => path.relative(SRC, f);

test('every relative import in src resolves to a file', () => {
  for (const [f, deps] of graph) for (const d of deps) assert.ok(fs.existsSync(d), `${rel(f)} imports missing ${rel(d)}`);
});

test('src has no import cycles', () => {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') assert.fail(`import cycle: ${[...stack.slice(stack.indexOf(f)), f].map(rel).join(' → ')}`);
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f) ?? []) visit(d);
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f);
});

test('the graph checker sees a cycle when there is one (control)', () => {
  const fake = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]);
  const seen = new Set<string>();
  let cycle = false;
  const visit = (f: string, path: string[]): void => {
    if (path.includes(f)) cycle = true;
    if (cycle || seen.has(f)) return;
    seen.add(f);
    for (const d of fake.get(f) ?? []) visit(d, [...path, f]);
  };
  visit('a', []);
  assert.ok(cycle);
});

test('errors, shared types and paths sit at the bottom: src/core imports nothing else of featvis', () => {
  for (const [f, deps] of graph) {
    if (!rel(f).startsWith('core/')) continue;
    for (const d of deps) assert.ok(rel(d).startsWith('core/'), `${rel(f)} imports ${rel(d)}`);
  }
  // …and only the CLI imports the CLI.
  for (const [f, deps] of graph) {
    if (rel(f).startsWith('cli/')) continue;
    for (const d of deps) assert.ok(!rel(d).startsWith('cli/'), `${rel(f)} imports ${rel(d)}`);
  }
});
