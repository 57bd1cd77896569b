/**
 * Peer RPC throughput and latency over one TCP connection: 50 concurrent
 * callers in a closed loop send requests of 100 B and 1 KB to a node in a
 * child process (its own event loop and CPU, as a remote node would have),
 * which echoes them back. Prints requests/s and p50/p99 latency. Not a test.
 *
 *   node --import tsx bench/transport-bench.ts [seconds per size, default 5]
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { RealClock } from '../src/core/clock.js';
import { SeededRng } from '../src/core/rng.js';
import { TcpRpcTransport } from '../src/transport/tcp-rpc.js';

const CALLERS = 50;
const SIZES = [100, 1024];

async function serve(): Promise<void> {
  const server = await TcpRpcTransport.listen({
    nodeId: 'server',
    host: '127.0.0.1',
    port: 0,
    clock: new RealClock(),
    rng: new SeededRng(1),
  });
  server.onRequest((_from, msg) => msg);
  process.stdout.write(`${server.address.port}\n`);
  // Runs until the parent closes our stdin (or dies).
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(client: TcpRpcTransport, size: number, seconds: number): Promise<void> {
  const msg = { type: 'bench', key: Buffer.from('key:000001'), value: Buffer.alloc(size, 0x61) };
  const latencies: number[] = [];
  let stopAt = 0;
  let recording = false;
  const caller = async () => {
    while (performance.now() < stopAt) {
      const t0 = performance.now();
      await client.request('server', msg);
      if (recording) latencies.push(performance.now() - t0);
    }
  };
  // Warm up (JIT, connection), then measure.
  stopAt = performance.now() + 1000;
  await Promise.all(Array.from({ length: CALLERS }, caller));
  recording = true;
  const start = performance.now();
  stopAt = start + seconds * 1000;
  await Promise.all(Array.from({ length: CALLERS }, caller));
  const elapsed = (performance.now() - start) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  console.log(
    `${String(size).padStart(5)} B  ${Math.round(latencies.length / elapsed).toLocaleString('en-US').padStart(9)} req/s` +
      `  p50 ${percentile(sorted, 50).toFixed(3)} ms  p99 ${percentile(sorted, 99).toFixed(3)} ms  (${latencies.length} requests, ${CALLERS} callers)`,
  );
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  const client = await TcpRpcTransport.listen({
    nodeId: 'client',
    host: '127.0.0.1',
    port: 0,
    clock: new RealClock(),
    rng: new SeededRng(2),
  });
  client.setPeerAddress('server', { host: '127.0.0.1', port });
  console.log(`peer RPC over one TCP connection, echo replies, node ${process.version}`);
  for (const size of SIZES) await measure(client, size, seconds);
  await client.close();
  child.stdin.end();
  child.kill();
}

if (process.argv.includes('--serve')) await serve();
else await main();
