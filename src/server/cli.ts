import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { isQkvError } from '../core/errors.js';
import { startNode } from './node.js';
import type { RunningNode } from './node.js';
import { QUORUMKV_VERSION } from './version.js';

const USAGE = `Usage: quorumkv <command> [options]

Commands:
  server [options]     run one node (see --help for its options)
  cluster [options]    run a local cluster of several nodes (see cluster --help)
  status [options]     show the cluster as one node sees it (see status --help)
  version              print the version
  help                 print this text

Run 'quorumkv server --help' for the server's options.
`;

/** The command line: picks a subcommand and runs it until it is stopped. */
export async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    case 'version':
    case '--version':
      process.stdout.write(`quorumkv ${QUORUMKV_VERSION}\n`);
      return;
    case 'server':
      await runServer(rest);
      return;
    case 'cluster': {
      const { runCluster } = await import('./cluster-cli.js');
      process.exitCode = await runCluster(rest, stdio);
      return;
    }
    case 'status': {
      const { runStatus } = await import('./status-cli.js');
      process.exitCode = await runStatus(rest, stdio);
      return;
    }
    default:
      if (command.startsWith('--')) {
        await runServer(argv);
        return;
      }
      process.stderr.write(`quorumkv: unknown command '${command}'\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

const stdio = {
  out: (text: string) => void process.stdout.write(text),
  err: (text: string) => void process.stderr.write(text),
};

async function runServer(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    const { optionsTable } = await import('../config/options.js');
    const rows = optionsTable();
    const lines = rows.map((r) => `  --${r.name.padEnd(28)} ${r.doc} (default: ${r.default || 'none'}; env ${r.env})`);
    process.stdout.write(`Usage: quorumkv server [options]\n\nOptions:\n${lines.join('\n')}\n`);
    return;
  }
  let config;
  try {
    config = loadConfig(argv, process.env, (p) => readFileSync(p, 'utf8'));
  } catch (e) {
    if (!isQkvError(e)) throw e;
    process.stderr.write(`quorumkv: ${e.message}\n`);
    process.exitCode = 2;
    return;
  }
  let node: RunningNode;
  try {
    node = await startNode(config);
  } catch (e) {
    process.stderr.write(`quorumkv: could not start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
    return;
  }
  await new Promise<void>((resolveStop) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        node.log.warn('second signal: exiting at once', { signal });
        process.exit(1);
      }
      stopping = true;
      node.log.info('signal received', { signal });
      node.close().then(resolveStop, (e: unknown) => {
        node.log.error('shutdown failed', { error: String(e) });
        process.exitCode = 1;
        resolveStop();
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    // A node that left the cluster stops by itself.
    void node.closed.then(resolveStop);
  });
}
