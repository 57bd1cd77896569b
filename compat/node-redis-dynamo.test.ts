import t from 'tap';
import { createClient, ErrorReply, RESP_TYPES } from 'redis';
import { startTarget, isQuorumKV } from './support/target.js';

// The Dynamo commands (QGET, QSET, QDEL, VCLOCK, QLOCAL) through a stock
// client's raw command call, with the reply shapes the product contract gives.
// Contexts are opaque bytes, so every bulk string is read as a Buffer.

const asBuffers = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } as const;
type QGetReply = [Buffer | null, Buffer[]];

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function sortedText(values: readonly Buffer[]): string[] {
  return values.map((v) => v.toString()).sort();
}

/** Flattens one VCLOCK entry (an array or a map, depending on the protocol) to its leaf values. */
function leaves(entry: unknown): unknown[] {
  if (entry instanceof Map) return [...entry.values()].flatMap(leaves);
  if (Array.isArray(entry)) return entry.flatMap(leaves);
  if (entry !== null && typeof entry === 'object' && !Buffer.isBuffer(entry)) return Object.values(entry).flatMap(leaves);
  return [entry];
}

if (!isQuorumKV) {
  t.plan(0, 'QGET/QSET/QDEL/VCLOCK/QLOCAL are QuorumKV commands; not run against redis-server');
} else {
  const server = await startTarget(t);

  for (const RESP of [3, 2] as const) {
    t.test(`Dynamo commands over RESP${RESP}`, async (t) => {
      const client = createClient({ socket: { host: '127.0.0.1', port: server.port, reconnectStrategy: false }, RESP, commandOptions: { timeout: 10_000 } });
      client.on('error', () => {
        // surfaced through the rejected commands instead
      });
      await client.connect();
      t.teardown(() => client.destroy());
      const k = `dyn${RESP}:k`;
      const cmd = <T>(...args: Array<string | Buffer>): Promise<T> => client.sendCommand<T>(args, asBuffers);
      const qget = (key: string): Promise<QGetReply> => cmd<QGetReply>('QGET', key);

      t.test('QGET of a key that never existed: nil context, no values', async (t) => {
        t.same(await qget(`dyn${RESP}:never`), [null, []]);
      });

      let ctx: Buffer = Buffer.alloc(0);
      t.test('blind QSETs become siblings; QGET shows all of them', async (t) => {
        const c1 = await cmd<Buffer>('QSET', k, 'v1');
        t.ok(Buffer.isBuffer(c1) && c1.length > 0, 'QSET answers a non-empty context');
        const [ctx1, values1] = await qget(k);
        t.ok(Buffer.isBuffer(ctx1), 'QGET context is a bulk string');
        t.same(sortedText(values1), ['v1']);
        await sleep(5);
        await cmd<Buffer>('QSET', k, 'v2');
        const [ctx2, values2] = await qget(k);
        t.same(sortedText(values2), ['v1', 'v2'], 'a blind write is concurrent with what exists');
        t.equal((await client.get(k)), 'v2', 'plain GET answers the newest sibling');
        t.same(sortedText((await qget(k))[1]), ['v1', 'v2'], 'plain GET discarded no sibling');
        ctx = ctx2 ?? Buffer.alloc(0);
      });

      t.test('VCLOCK and QLOCAL describe the siblings', async (t) => {
        const vclock = await cmd<unknown[]>('VCLOCK', k);
        t.ok(Array.isArray(vclock), 'VCLOCK answers an array');
        t.equal(vclock.length, 2, 'one entry per sibling');
        for (const entry of vclock) {
          const texts = leaves(entry).filter((x): x is Buffer => Buffer.isBuffer(x)).map((b) => b.toString());
          const clock = texts.find((s) => s.startsWith('{'));
          t.ok(clock !== undefined, `entry has a readable clock: ${JSON.stringify(texts)}`);
          if (clock === undefined) continue;
          const parsed = JSON.parse(clock) as Record<string, unknown>;
          t.ok(Object.values(parsed).every((n) => typeof n === 'number' && n > 0), `clock ${clock} maps node ids to counters`);
        }
        const local = await cmd<QGetReply>('QLOCAL', k);
        t.equal(local.length, 2, 'QLOCAL has the QGET shape');
        t.same(sortedText(local[1]), ['v1', 'v2']);
      });

      t.test('QSET with CONTEXT resolves the siblings it saw', async (t) => {
        const stale = ctx;
        await cmd<Buffer>('QSET', k, 'merged', 'CONTEXT', ctx);
        const [ctx3, values] = await qget(k);
        t.same(sortedText(values), ['merged']);
        t.equal(await client.get(k), 'merged');

        const refused = await cmd<Buffer>('QSET', k, 'late', 'IF', stale).then(
          () => null,
          (err: unknown) => err,
        );
        t.ok(refused instanceof ErrorReply, 'QSET IF with a stale context is refused');
        t.match((refused as Error | null)?.message ?? '', /^CONFLICT /);
        t.same(sortedText((await qget(k))[1]), ['merged'], 'the refused write stored nothing');

        await cmd<Buffer>('QSET', k, 'guarded', 'IF', ctx3 ?? Buffer.alloc(0));
        t.same(sortedText((await qget(k))[1]), ['guarded'], 'QSET IF with the current context applies');
      });

      t.test('QSET with EX sets a TTL; W and CONTEXT are checked', async (t) => {
        await cmd<Buffer>('QSET', `dyn${RESP}:ttl`, 'v', 'EX', '100');
        const ttl = await client.ttl(`dyn${RESP}:ttl`);
        t.ok(ttl >= 99 && ttl <= 100, `ttl ${ttl} in [99, 100]`);
        await cmd<Buffer>('QSET', `dyn${RESP}:w1`, 'v', 'W', '1');
        const badW = await cmd('QSET', `dyn${RESP}:w`, 'v', 'W', '2').catch((e: unknown) => e);
        t.equal((badW as Error).message, 'ERR W must be an integer between 1 and 1');
        const badR = await cmd('QGET', `dyn${RESP}:w`, 'R', '0').catch((e: unknown) => e);
        t.equal((badR as Error).message, 'ERR R must be an integer between 1 and 1');
        const badCtx = await cmd('QSET', `dyn${RESP}:w`, 'v', 'CONTEXT', 'not-a-context').catch((e: unknown) => e);
        t.equal((badCtx as Error).message, 'ERR invalid context');
      });

      t.test('QDEL leaves a tombstone: no values, a context, GET nil', async (t) => {
        const [current] = await qget(k);
        const tomb = await cmd<Buffer>('QDEL', k, 'CONTEXT', current ?? Buffer.alloc(0));
        t.ok(Buffer.isBuffer(tomb) && tomb.length > 0, 'QDEL answers the tombstone context');
        const [after, values] = await qget(k);
        t.same(values, [], 'only a tombstone: no live values');
        t.ok(Buffer.isBuffer(after), 'the context survives the delete');
        t.equal(await client.get(k), null);
        t.equal(await client.exists(k), 0);
      });
    });
  }
}
