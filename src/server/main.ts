// Entry point when run from source: `node --import tsx src/server/main.ts server ...`.
import { main } from './cli.js';

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`quorumkv: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
