import { OK, bulk } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { fail, parseSafeInt } from './args.js';
import { containerHandler, defineCommand } from './table.js';
import type { CommandContext, CommandSpec, DebugApi, Handler } from './types.js';

/**
 * Fault injection for fault-tolerance tests, served only by a node started
 * with --debug:
 *
 *   QKV.DEBUG PARTITION peer [peer ...]         drop all peer traffic with them, both ways
 *   QKV.DEBUG PARTITION-ONEWAY peer [peer ...]  drop only what this node sends them
 *   QKV.DEBUG HEAL [peer ...]                   stop dropping (for every peer when none named)
 *   QKV.DEBUG DELAY peer ms [jitter-ms]         delay what this node sends to peer (0: no delay)
 *   QKV.DEBUG CLOCK-OFFSET ms                   shift this node's wall clock (may be negative)
 *   QKV.DEBUG DISK-FAIL on|off|stall            make this node's disk fail writes, work, or hang writes
 *   QKV.DEBUG STATUS                            what is in effect, as JSON
 *
 * A peer is a node id or a peer address (host:port). Each node applies only
 * its own faults: a partition between two groups is made by telling each
 * node of one group about every node of the other.
 */
export const ERR_DEBUG_DISABLED = 'ERR debug commands are disabled; start the node with --debug';
export const ERR_DISK_FAIL_MODE = 'ERR DISK-FAIL takes on, off or stall';
/** Delays beyond a minute are a typo, not a WAN. */
const MAX_DELAY_MS = 60_000;
/** Offsets beyond a year are a typo, not a skew. */
const MAX_OFFSET_MS = 366 * 24 * 3600 * 1000;

function debugOf(ctx: CommandContext): DebugApi {
  const debug = ctx.server.debug;
  if (!debug) fail(ERR_DEBUG_DISABLED);
  return debug;
}

function peers(args: readonly Buffer[]): string[] {
  return args.map((a) => {
    const p = a.toString('utf8');
    if (p.length === 0 || p.length > 300) fail(`ERR invalid peer '${p.slice(0, 64)}'`);
    return p;
  });
}

const sub = (name: string, arity: number, summary: string, handler: (debug: DebugApi, args: readonly Buffer[]) => Reply): CommandSpec =>
  defineCommand({
    name,
    arity,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    categories: ['admin', 'slow', 'dangerous'],
    group: 'server',
    since: '0.1.0',
    summary,
    handler: ((ctx, args) => handler(debugOf(ctx), args)) satisfies Handler,
  });

export const debugCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'qkv.debug',
    arity: -2,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    categories: ['admin', 'slow', 'dangerous'],
    group: 'server',
    since: '0.1.0',
    summary: 'Fault injection for tests (only with --debug): partitions, delays, clock skew and a failing disk on this node.',
    handler: containerHandler,
    subcommands: [
      sub('partition', -3, 'Drops all peer traffic to and from the given nodes.', (debug, args) => {
        debug.partition(peers(args), false);
        return OK;
      }),
      sub('partition-oneway', -3, 'Drops the peer traffic this node sends to the given nodes.', (debug, args) => {
        debug.partition(peers(args), true);
        return OK;
      }),
      sub('heal', -2, 'Stops dropping peer traffic (with the given nodes, or with all).', (debug, args) => {
        debug.heal(peers(args));
        return OK;
      }),
      sub('delay', -4, 'Delays the requests and gossip this node sends to a peer by ms (plus up to jitter-ms), each way; 0 ends it.', (debug, args) => {
        if (args.length > 3) fail('ERR syntax error');
        const [peer] = peers(args.slice(0, 1));
        const ms = parseSafeInt(args[1]!);
        const jitter = args[2] === undefined ? 0 : parseSafeInt(args[2]);
        if (ms < 0 || ms > MAX_DELAY_MS || jitter < 0 || jitter > MAX_DELAY_MS) fail(`ERR delay and jitter must be within 0..${MAX_DELAY_MS} ms`);
        debug.setDelay(peer!, ms, jitter);
        return OK;
      }),
      sub('clock-offset', 3, "Shifts this node's wall clock by the given milliseconds.", (debug, args) => {
        const ms = parseSafeInt(args[0]!);
        if (Math.abs(ms) > MAX_OFFSET_MS) fail(`ERR clock offset must be within ±${MAX_OFFSET_MS} ms`);
        debug.setClockOffset(ms);
        return OK;
      }),
      sub('disk-fail', 3, "Makes this node's disk fail writes (on), hang them (stall), or work again (off).", (debug, args) => {
        const mode = args[0]!.toString('utf8').toLowerCase();
        if (mode !== 'on' && mode !== 'off' && mode !== 'stall') fail(ERR_DISK_FAIL_MODE);
        debug.setDiskFault(mode);
        return OK;
      }),
      sub('status', 2, 'Returns the faults in effect on this node as a JSON document.', (debug) => bulk(JSON.stringify(debug.status()))),
    ],
  }),
];
