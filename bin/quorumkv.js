#!/usr/bin/env node
// The installed entry point: runs the compiled CLI built by `npm ci` (prepare).
import { main } from '../dist/src/server/cli.js';

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`quorumkv: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
