import t from 'tap';
import { debugCommands, ERR_DEBUG_DISABLED, ERR_DISK_FAIL_MODE } from '../../src/commands/debug.js';
import { FaultyEngine } from '../../src/server/disk-faults.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { buildTable, resolveCommand } from '../../src/commands/table.js';
import { allCommands } from '../../src/commands/index.js';
import type { CommandContext, DebugApi } from '../../src/commands/types.js';
import { ManualClock } from '../../src/core/clock.js';
import { FaultInjector } from '../../src/server/fault-injection.js';
import { isQkvError } from '../../src/core/errors.js';
import { makeHarness, plain } from '../support/command-harness.js';

// QKV.DEBUG: served only when the node has a DebugApi (--debug), refused with a clear error otherwise.

function harnessWith(debug?: DebugApi) {
  const h = makeHarness();
  const table = buildTable([debugCommands]);
  const ctx: CommandContext = { ...h.ctx, table, server: { ...h.ctx.server, ...(debug ? { debug } : {}) } };
  return async (...req: string[]) => {
    const resolved = resolveCommand(table, req.map((a) => Buffer.from(a)));
    if (!('spec' in resolved)) return plain(resolved);
    try {
      return plain(await resolved.spec.handler(ctx, resolved.args));
    } catch (e) {
      if (isQkvError(e)) return { error: e.toReplyText() };
      throw e;
    }
  };
}

t.test('the command is in the node table', async (t) => {
  t.ok(buildTable(allCommands).lookup('qkv.debug'));
});

t.test('without --debug every subcommand is refused', async (t) => {
  const q = harnessWith();
  for (const req of [['PARTITION', 'n2'], ['PARTITION-ONEWAY', 'n2'], ['HEAL'], ['CLOCK-OFFSET', '5'], ['STATUS']]) {
    t.same(await q('QKV.DEBUG', ...req), { error: ERR_DEBUG_DISABLED }, req[0]);
  }
});

t.test('with --debug: partitions, heal, clock offset and status', async (t) => {
  const clock = new ManualClock(1_000);
  const faults = new FaultInjector({ clock, requestTimeoutMs: () => 100 });
  const q = harnessWith(faults);
  t.equal(await q('QKV.DEBUG', 'PARTITION', 'n2', 'n3'), 'OK');
  t.equal(await q('qkv.debug', 'partition-oneway', '127.0.0.1:17004'), 'OK');
  t.equal(await q('QKV.DEBUG', 'CLOCK-OFFSET', '-60000'), 'OK');
  t.equal(faults.clock.now(), 1_000 - 60_000);
  t.same(JSON.parse(String(await q('QKV.DEBUG', 'STATUS'))), {
    partitioned: ['n2', 'n3'],
    outgoingOnly: ['127.0.0.1:17004'],
    clockOffsetMs: -60000,
    delays: {},
    disk: 'off',
    dropped: { requestsOut: 0, requestsIn: 0, datagramsOut: 0, datagramsIn: 0 },
  });
  t.equal(await q('QKV.DEBUG', 'HEAL', 'n2'), 'OK');
  t.same(faults.status().partitioned, ['n3']);
  t.equal(await q('QKV.DEBUG', 'HEAL'), 'OK');
  t.same([faults.status().partitioned, faults.status().outgoingOnly], [[], []]);
});

t.test('DISK-FAIL fails, stalls and restores the disk it is given', async (t) => {
  const engine = new MemoryEngine();
  await engine.open();
  const disk = new FaultyEngine(engine);
  const faults = new FaultInjector({ clock: new ManualClock(1_000), requestTimeoutMs: () => 100 });
  const q = harnessWith(faults);
  t.same(await q('QKV.DEBUG', 'DISK-FAIL', 'on'), { error: 'ERR this node has no disk to fail' });
  faults.attachDisk(disk);
  const put = (k: string) => disk.write([{ type: 'put', key: Buffer.from(k), value: Buffer.from('v') }], false);
  t.equal(await q('QKV.DEBUG', 'DISK-FAIL', 'on'), 'OK');
  await t.rejects(put('a'), { code: 'IOERR', message: /Read-only file system, injected by QKV.DEBUG DISK-FAIL/ });
  t.equal(await q('qkv.debug', 'disk-fail', 'STALL'), 'OK');
  t.equal(JSON.parse(String(await q('QKV.DEBUG', 'STATUS'))).disk, 'stall');
  let landed = false;
  const stalled = put('b').then(() => (landed = true));
  await new Promise((r) => setImmediate(r));
  t.notOk(landed, 'a write hangs while the disk stalls');
  t.same(await q('QKV.DEBUG', 'DISK-FAIL', 'maybe'), { error: ERR_DISK_FAIL_MODE });
  t.equal(await q('QKV.DEBUG', 'DISK-FAIL', 'off'), 'OK');
  await stalled;
  t.same(await engine.get(Buffer.from('b')), Buffer.from('v'), 'and lands once the disk works again');
  t.same(await engine.get(Buffer.from('a')), undefined);
});

t.test('bad arguments get errors and change nothing', async (t) => {
  const faults = new FaultInjector({ clock: new ManualClock(), requestTimeoutMs: () => 100 });
  const q = harnessWith(faults);
  t.same(await q('QKV.DEBUG', 'CLOCK-OFFSET', 'soon'), { error: 'ERR value is not an integer or out of range' });
  t.match(await q('QKV.DEBUG', 'CLOCK-OFFSET', String(400 * 24 * 3600 * 1000)), { error: /^ERR clock offset must be within/ });
  t.same(await q('QKV.DEBUG', 'PARTITION'), { error: "ERR wrong number of arguments for 'qkv.debug|partition' command" });
  t.match(await q('QKV.DEBUG', 'PARTITION', ''), { error: /^ERR invalid peer/ });
  t.match(await q('QKV.DEBUG', 'SPLIT', 'x'), { error: /unknown subcommand/i });
  t.same(await q('QKV.DEBUG'), { error: "ERR wrong number of arguments for 'qkv.debug' command" });
  t.same(faults.status().partitioned, []);
  t.equal(faults.status().clockOffsetMs, 0);
});

t.test('DELAY sets, shows and ends a per-peer delay', async (t) => {
  const faults = new FaultInjector({ clock: new ManualClock(), requestTimeoutMs: () => 100 });
  const q = harnessWith(faults);
  t.equal(await q('QKV.DEBUG', 'DELAY', 'n2', '30'), 'OK');
  t.equal(await q('qkv.debug', 'delay', '127.0.0.1:17004', '60', '10'), 'OK');
  t.same(JSON.parse(String(await q('QKV.DEBUG', 'STATUS'))).delays, { '127.0.0.1:17004': { ms: 60, jitterMs: 10 }, n2: { ms: 30, jitterMs: 0 } });
  t.equal(faults.delayTo('n2'), 30);
  const jittered = faults.delayTo('127.0.0.1:17004');
  t.ok(jittered >= 60 && jittered <= 70, `60 plus up to 10 (${jittered})`);
  t.equal(faults.delayTo('n3'), 0, 'no delay set');
  t.equal(await q('QKV.DEBUG', 'DELAY', 'n2', '0'), 'OK');
  t.same(Object.keys(faults.status().delays), ['127.0.0.1:17004'], '0 ends it');
  t.match(await q('QKV.DEBUG', 'DELAY', 'n2', '-1'), { error: /^ERR delay and jitter must be within 0..60000 ms/ });
  t.match(await q('QKV.DEBUG', 'DELAY', 'n2', '5', '70000'), { error: /^ERR delay and jitter must be within/ });
  t.same(await q('QKV.DEBUG', 'DELAY', 'n2', 'soon'), { error: 'ERR value is not an integer or out of range' });
  t.same(await q('QKV.DEBUG', 'DELAY', 'n2', '5', '1', 'x'), { error: 'ERR syntax error' });
  t.same(await q('QKV.DEBUG', 'DELAY', 'n2'), { error: "ERR wrong number of arguments for 'qkv.debug|delay' command" });
  t.same(await harnessWith()('QKV.DEBUG', 'DELAY', 'n2', '5'), { error: ERR_DEBUG_DISABLED });
});
