import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { REPO_ROOT, startNode, startRedisServer, type ServerProcess } from '../test/support/node-process.js';
import { freePort } from '../test/support/free-port.js';
import { makeTlsFiles, tlsServerArgs, type TlsFiles } from '../test/support/tls-certs.js';
import { PYTHON_REDIS, PYTHON_REDIS_HINT, REDIS_TOOLS_HINT, optionalTool, requireTool } from './support/outside-tool.js';
import { run } from './support/run.js';
import { TARGET } from './support/target.js';

/**
 * redis-cli (--tls), redis-py (ssl=True), ioredis (tls: {...}) and node-redis
 * (socket.tls) over the TLS port, with and without a client certificate, for
 * each tls-auth-clients mode; and a client that trusts another CA gets a clear
 * certificate error. QKV_COMPAT_TARGET=redis runs the same against redis-server.
 */
interface Attempt {
  readonly ca: string;
  readonly withCert: boolean;
}
type Outcome = { ok: true } | { ok: false; error: string };
type Client = (port: number, files: TlsFiles, a: Attempt) => Promise<Outcome>;

const redisCli: Client = async (port, files, a) => {
  const certArgs = a.withCert ? ['--cert', files.clientCert, '--key', files.clientKey] : [];
  const res = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--tls', '--cacert', a.ca, '--sni', 'localhost', ...certArgs, 'SET', 'cli-tls', 'yes'], { timeoutMs: 15_000 });
  const out = `${res.stdout}${res.stderr}`.trim();
  return out === 'OK' ? { ok: true } : { ok: false, error: out };
};

const redisPy: Client = async (port, files, a) => {
  const certArgs = a.withCert ? ['--cert', files.clientCert, '--key', files.clientKey] : [];
  const res = await run(PYTHON_REDIS, [join(REPO_ROOT, 'compat', 'py', 'tls_ping.py'), '--port', String(port), '--ca', a.ca, ...certArgs], { timeoutMs: 30_000 });
  const line = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as { ok: boolean; reply?: string; error?: string };
  return line.ok && line.reply === 'yes' ? { ok: true } : { ok: false, error: line.error ?? res.stderr };
};

function tlsOptions(files: TlsFiles, a: Attempt): { ca: Buffer; cert?: Buffer; key?: Buffer; servername: string } {
  return { ca: readFileSync(a.ca), servername: 'localhost', ...(a.withCert ? { cert: readFileSync(files.clientCert), key: readFileSync(files.clientKey) } : {}) };
}

const ioredis: Client = async (port, files, a) => {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 10_000, tls: tlsOptions(files, a) });
  // ioredis rejects connect() with "Connection is closed."; the TLS reason comes as an 'error' event.
  let reason = '';
  redis.on('error', (e: Error) => (reason = String(e)));
  try {
    await redis.connect();
    return (await redis.set('ioredis-tls', 'yes')) === 'OK' ? { ok: true } : { ok: false, error: 'unexpected reply' };
  } catch (e) {
    return { ok: false, error: reason || String(e) };
  } finally {
    redis.disconnect();
  }
};

const nodeRedis: Client = async (port, files, a) => {
  const client = createClient({ socket: { host: '127.0.0.1', port, tls: true, ...tlsOptions(files, a), reconnectStrategy: false, connectTimeout: 10_000 } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.set('node-redis-tls', 'yes')) === 'OK' ? { ok: true } : { ok: false, error: 'unexpected reply' };
  } catch (e) {
    return { ok: false, error: String(e) };
  } finally {
    client.destroy();
  }
};

const clients: Array<[string, Client]> = [
  ['ioredis', ioredis],
  ['node-redis', nodeRedis],
];
if (optionalTool(t, 'redis-cli', 'redis-cli', ['--version'], REDIS_TOOLS_HINT)) clients.push(['redis-cli', redisCli]);
if (optionalTool(t, 'redis-py', PYTHON_REDIS, ['-c', 'import redis'], PYTHON_REDIS_HINT)) clients.push(['redis-py', redisPy]);
if (requireTool(t, 'openssl', 'openssl', ['version'], 'apt-get install -y openssl')) {
  const files = await makeTlsFiles(t);

  async function server(mode: 'yes' | 'no' | 'optional'): Promise<ServerProcess & { tlsPort: number }> {
    const tlsPort = await freePort();
    const args = tlsServerArgs(files, tlsPort, mode);
    const proc = TARGET === 'redis' ? await startRedisServer({ t, args }) : await startNode({ t, args });
    return Object.assign(proc, { tlsPort });
  }

  for (const mode of ['yes', 'optional', 'no'] as const) {
    t.test(`tls-auth-clients ${mode}`, async (t) => {
      const s = await server(mode);
      for (const [name, connect] of clients) {
        t.same(await connect(s.tlsPort, files, { ca: files.caCert, withCert: true }), { ok: true }, `${name} with a client certificate is served`);
        const bare = await connect(s.tlsPort, files, { ca: files.caCert, withCert: false });
        if (mode === 'yes') t.equal(bare.ok, false, `${name} without a client certificate is refused`);
        else t.same(bare, { ok: true }, `${name} without a client certificate is served`);
      }
    });
  }

  t.test('a client that trusts another CA refuses the server with a certificate error', async (t) => {
    const s = await server('no');
    for (const [name, connect] of clients) {
      const outcome = await connect(s.tlsPort, files, { ca: files.otherCaCert, withCert: false });
      t.equal(outcome.ok, false, `${name} does not connect`);
      if (!outcome.ok) t.match(outcome.error, /certificate|verify/i, `${name} says why: ${outcome.error.split('\n')[0]}`);
    }
  });
}
