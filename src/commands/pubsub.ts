import { ReplyEncoder } from '../../resp/index.js';
import { array, bulk, error, int, NULL, push } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { QkvError } from '../core/errors.js';
import type { PubSubHub } from '../pubsub/hub.js';
import { Subscriber, type Delivery } from '../pubsub/registry.js';
import { containerHandler, defineCommand } from './table.js';
import type { CommandContext, CommandSpec, Session } from './types.js';

/**
 * Pub/Sub: SUBSCRIBE and friends, PUBLISH, SPUBLISH and PUBSUB, with Redis 7's
 * replies: each (un)subscription is answered by its own three-element reply
 * (an array in RESP2, a push in RESP3), so one command may answer several
 * replies; messages arrive out of turn through the session's `deliver`.
 */

type Kind = 'channels' | 'patterns' | 'shardChannels';

const VERBS: Record<Kind, readonly [subscribe: string, unsubscribe: string]> = {
  channels: ['subscribe', 'unsubscribe'],
  patterns: ['psubscribe', 'punsubscribe'],
  shardChannels: ['ssubscribe', 'sunsubscribe'],
};

function hubOf(ctx: CommandContext): PubSubHub {
  if (!ctx.pubsub) throw new QkvError('ERR', 'Pub/Sub is not available on this connection');
  return ctx.pubsub;
}

/** A delivered message as the client reads it: message, pmessage or smessage. */
export function deliveryReply(d: Delivery): Reply {
  if (d.kind === 'pmessage') return push([bulk('pmessage'), bulk(d.pattern), bulk(d.channel), bulk(d.message)]);
  return push([bulk(d.kind), bulk(d.channel), bulk(d.message)]);
}

function subscriberOf(session: Session): Subscriber {
  return (session.pubsub ??= new Subscriber((d) => session.deliver?.(deliveryReply(d))));
}

/** Several replies to one command, encoded now in the session's protocol. */
function replies(session: Session, items: readonly Reply[]): Reply {
  if (items.length === 1) return items[0]!;
  const encoder = new ReplyEncoder();
  for (const r of items) encoder.write(r, session.protocol);
  return { t: 'raw', v: Buffer.concat(encoder.take()) };
}

/** The count an answer carries: channels and patterns together, shard channels apart (Redis 7). */
function countFor(sub: Subscriber, kind: Kind): number {
  return kind === 'shardChannels' ? sub.shardChannels.size : sub.count;
}

function subscribe(kind: Kind) {
  return (ctx: CommandContext, args: readonly Buffer[]): Reply => {
    const hub = hubOf(ctx);
    const sub = subscriberOf(ctx.session);
    return replies(
      ctx.session,
      args.map((name) => {
        hub.registry.add(kind, sub, name);
        return push([bulk(VERBS[kind][0]), bulk(name), int(countFor(sub, kind))]);
      }),
    );
  };
}

function unsubscribe(kind: Kind) {
  return (ctx: CommandContext, args: readonly Buffer[]): Reply => {
    const hub = hubOf(ctx);
    const sub = subscriberOf(ctx.session);
    const verb = bulk(VERBS[kind][1]);
    const names = args.length > 0 ? args : [...sub[kind].values()];
    // Nothing to leave: one reply with a nil name, as Redis answers.
    if (names.length === 0) return push([verb, NULL, int(countFor(sub, kind))]);
    return replies(
      ctx.session,
      names.map((name) => {
        hub.registry.remove(kind, sub, name);
        return push([verb, bulk(name), int(countFor(sub, kind))]);
      }),
    );
  };
}

/** Drops every subscription of the session (RESET, disconnect). */
export function endSubscriptions(ctx: CommandContext): void {
  const sub = ctx.session.pubsub;
  if (sub && ctx.pubsub) ctx.pubsub.registry.removeAll(sub);
}

/** Whether the session is in RESP2 subscribed mode, where only a few commands may run. */
export function inSubscribedMode(session: Session): boolean {
  return session.protocol === 2 && session.pubsub?.subscribed === true;
}

const ALLOWED_SUBSCRIBED = new Set(['subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'ssubscribe', 'sunsubscribe', 'ping', 'quit', 'reset']);

/** Redis's refusal of a command in RESP2 subscribed mode, or null when it may run. */
export function subscribedModeRefusal(session: Session, fullName: string): Reply | null {
  if (!inSubscribedMode(session) || ALLOWED_SUBSCRIBED.has(fullName)) return null;
  return error(`ERR Can't execute '${fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
}

function channelsReply(ctx: CommandContext, args: readonly Buffer[], kind: 'channels' | 'shardChannels', sub: string): Reply {
  if (args.length > 1) return error(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try PUBSUB HELP.`);
  return array(hubOf(ctx).registry.activeChannels(kind, args[0]).map((c) => bulk(c)));
}

function numsubReply(ctx: CommandContext, args: readonly Buffer[], kind: 'channels' | 'shardChannels'): Reply {
  const registry = hubOf(ctx).registry;
  return array(args.flatMap((c) => [bulk(c), int(registry.subscriberCount(kind, c))]));
}

const HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  '    Return the currently active shard level channels matching a <pattern> (default: \'*\').',
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

const SUBSCRIBING = { flags: ['pubsub', 'noscript', 'loading', 'stale'], categories: ['pubsub', 'slow'], group: 'pubsub' };
const INSPECTING = { flags: ['pubsub', 'loading', 'stale'], categories: ['pubsub', 'slow'], group: 'pubsub' };
/** Shard channels are keys in COMMAND INFO, as in Redis 7. */
const SHARD_KEYS = { firstKey: 1, lastKey: -1, step: 1 };
const PUBLISHING = { flags: ['pubsub', 'loading', 'stale', 'fast'], categories: ['pubsub', 'fast'], group: 'pubsub' };

export const pubsubCommands: readonly CommandSpec[] = [
  defineCommand({ name: 'subscribe', arity: -2, ...SUBSCRIBING, summary: 'Listens for messages published to channels.', since: '2.0.0', handler: subscribe('channels') }),
  defineCommand({ name: 'unsubscribe', arity: -1, ...SUBSCRIBING, summary: 'Stops listening to messages posted to channels.', since: '2.0.0', handler: unsubscribe('channels') }),
  defineCommand({ name: 'psubscribe', arity: -2, ...SUBSCRIBING, summary: 'Listens for messages published to channels that match one or more patterns.', since: '2.0.0', handler: subscribe('patterns') }),
  defineCommand({ name: 'punsubscribe', arity: -1, ...SUBSCRIBING, summary: 'Stops listening to messages published to channels that match one or more patterns.', since: '2.0.0', handler: unsubscribe('patterns') }),
  defineCommand({ name: 'ssubscribe', arity: -2, ...SUBSCRIBING, ...SHARD_KEYS, summary: 'Listens for messages published to shard channels.', since: '7.0.0', handler: subscribe('shardChannels') }),
  defineCommand({ name: 'sunsubscribe', arity: -1, ...SUBSCRIBING, ...SHARD_KEYS, summary: 'Stops listening to messages posted to shard channels.', since: '7.0.0', handler: unsubscribe('shardChannels') }),
  defineCommand({
    name: 'publish',
    arity: 3,
    ...PUBLISHING,
    summary: 'Posts a message to a channel.',
    since: '2.0.0',
    handler: (ctx, args) => int(hubOf(ctx).publish(args[0]!, args[1]!)),
  }),
  defineCommand({
    name: 'spublish',
    arity: 3,
    ...PUBLISHING,
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary: 'Post a message to a shard channel',
    since: '7.0.0',
    handler: (ctx, args) => int(hubOf(ctx).publishShard(args[0]!, args[1]!)),
  }),
  defineCommand({
    name: 'pubsub',
    arity: -2,
    flags: [],
    categories: ['slow'],
    summary: 'A container for Pub/Sub commands.',
    since: '2.8.0',
    group: 'pubsub',
    handler: containerHandler,
    subcommands: [
      defineCommand({ name: 'channels', arity: -2, ...INSPECTING, summary: 'Returns the active channels.', since: '2.8.0', handler: (ctx, args) => channelsReply(ctx, args, 'channels', 'CHANNELS') }),
      defineCommand({ name: 'numsub', arity: -2, ...INSPECTING, summary: 'Returns a count of subscribers to channels.', since: '2.8.0', handler: (ctx, args) => numsubReply(ctx, args, 'channels') }),
      defineCommand({ name: 'numpat', arity: 2, ...INSPECTING, summary: 'Returns a count of unique pattern subscriptions.', since: '2.8.0', handler: (ctx) => int(hubOf(ctx).registry.patternCount) }),
      defineCommand({
        name: 'shardchannels',
        arity: -2,
        ...INSPECTING,
        summary: 'Returns the active shard channels.',
        since: '7.0.0',
        handler: (ctx, args) => channelsReply(ctx, args, 'shardChannels', 'SHARDCHANNELS'),
      }),
      defineCommand({
        name: 'shardnumsub',
        arity: -2,
        ...INSPECTING,
        summary: 'Returns the count of subscribers of shard channels.',
        since: '7.0.0',
        handler: (ctx, args) => numsubReply(ctx, args, 'shardChannels'),
      }),
      defineCommand({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        categories: ['slow'],
        group: 'pubsub',
        summary: 'Returns helpful text about the different subcommands.',
        since: '6.2.0',
        handler: () => array(HELP.map((l) => ({ t: 'simple', v: l }) as Reply)),
      }),
    ],
  }),
];
