#!/usr/bin/env node
// Thin launcher: runs the TypeScript CLI through tsx so no build step is needed
// (src/cli/launch.ts: help without TensorFlow, TensorFlow's start-up log lines filtered).
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';
register();
const { launch } = await import('../src/cli/launch.ts');
await launch(fileURLToPath(import.meta.url), process.argv.slice(2));
