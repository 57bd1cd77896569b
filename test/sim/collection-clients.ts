import { isQkvError } from '../../src/core/errors.js';
import type { Rng } from '../../src/core/rng.js';
import type { WriteRequest } from '../../src/coordinator/api.js';
import { fieldValue, type CollectionOp, type OpReply } from '../../src/versioning/collection-ops.js';
import { decodeCounter } from '../../src/versioning/counter.js';
import { resolveVisible } from '../../src/versioning/counter-view.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { ClientLoop } from './client-loop.js';
import type { SimNode } from './sim-node.js';
import type { World } from './world.js';

type Outcome = 'acked' | 'failed' | 'unknown';

/** One SADD of one member (members are unique in the run, each added once). */
interface Add {
  readonly key: string;
  readonly member: string;
  readonly client: number;
  readonly op: number;
  readonly startedAt: number;
  outcome: Outcome | 'pending';
  ackedAt?: number;
}

/** One DEL of a set key (by any client). */
interface Delete {
  readonly key: string;
  readonly op: number;
  outcome: Outcome | 'pending';
  ackedAt?: number;
}

/** One SREM, of a member its own client added and had acknowledged. */
interface Remove {
  readonly key: string;
  readonly member: string;
  readonly op: number;
  readonly startedAt: number;
  outcome: Outcome | 'pending';
  /** What the coordinating replica removed (SREM's reply), when acknowledged. */
  removed?: boolean;
}

/** Names of the workload's keys: sets, and one hash whose one field is incremented. */
export const SET_KEYS = ['s0', 's1', 's2'] as const;
export const HASH_KEY = 'h0';
export const HASH_FIELD = 'f';

const EMPTY = Buffer.alloc(0);

/**
 * The collection workload: seeded clients send SADD of members unique in
 * the run, SREM of members the same client added and had acknowledged, and
 * HINCRBY of one hash field, to random nodes (each op goes as
 * `WriteRequest.op`, as the commands send it), beside the other clients and
 * through the same faults. The rules, once repaired:
 *
 * - **no-lost-add**: every acknowledged SADD is in the final set, unless an
 *   SREM of its member was sent after it (only its own client removes a
 *   member, and only after the add was acknowledged). An SREM whose client
 *   did not hear back, or that failed, may have landed too, so any SREM
 *   sent excuses the member's absence; one acknowledged SREM that found the
 *   member is what Redis would show.
 * - **members-from-clients**: no member is in a final set that no SADD of
 *   that key sent.
 * - **no-lost-increment** (of the hash field): the field's total is at least
 *   the sum of its acknowledged increments; above that plus the ones whose
 *   outcome is unknown or failed is counted, not failed (a forwarded request
 *   the network duplicated is applied twice, as with counters).
 *
 * Observed-remove semantics: an SREM takes away only the adds its
 * coordinating replica held, so an acknowledged SREM of a member whose add
 * had not reached that replica leaves it in the set. That is the design,
 * not a loss: the run counts such members (`members kept past an
 * acknowledged SREM`) instead of failing.
 */
export class CollectionClients extends ClientLoop {
  readonly counts = { ops: 0, acked: 0, failed: 0, unknown: 0 };
  private readonly adds: Add[] = [];
  private readonly removes: Remove[] = [];
  private readonly deletes: Delete[] = [];
  /** Per client, the members it added and had acknowledged and has not tried to remove, by key. */
  private readonly own = new Map<number, Map<string, string[]>>();
  private hincr = { acked: 0n, maybe: 0n };

  constructor(world: World, rng: Rng, budget: number, thinkMs: number, onStep: () => void) {
    super(world, rng, budget, thinkMs, onStep);
    if (budget > 0) for (const k of this.keys) world.oracle.untracked.add(k);
  }

  get keys(): string[] {
    return [...SET_KEYS, HASH_KEY];
  }

  private ownOf(client: number, key: string): string[] {
    let byKey = this.own.get(client);
    if (!byKey) this.own.set(client, (byKey = new Map()));
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    return list;
  }

  protected async run(client: number, op: number): Promise<void> {
    const node = this.world.nodes[this.rng.int(this.world.nodes.length)]!;
    const roll = this.rng.next();
    const key = SET_KEYS[this.rng.int(SET_KEYS.length)]!;
    const mine = this.ownOf(client, key);
    const note = (text: string): void => this.world.history.note(`coll c${client} op ${op} ${text}`);
    this.counts.ops++;
    if (roll < 0.3) return this.hincrby(node, note);
    if (roll >= 0.5 && roll < 0.53) {
      const del: Delete = { key, op, outcome: 'pending' };
      this.deletes.push(del);
      note(`del ${key} at ${node.id}`);
      const res = await this.send(node, key, { value: EMPTY, tombstone: true, expireAt: 0, supersedes: { kind: 'local' } });
      del.outcome = res.outcome;
      if (res.outcome === 'acked') del.ackedAt = this.world.clock.now();
      return note(res.outcome === 'acked' ? 'ok' : `${res.outcome}: ${res.error}`);
    }
    if (roll < 0.5 && mine.length > 0) {
      const member = mine.splice(this.rng.int(mine.length), 1)[0]!;
      const rem: Remove = { key, member, op, startedAt: this.world.clock.now(), outcome: 'pending' };
      this.removes.push(rem);
      note(`srem ${key} ${member} at ${node.id}`);
      const res = await this.call(node, key, { t: 'srem', names: [Buffer.from(member, 'latin1')] });
      rem.outcome = res.outcome;
      if (res.outcome === 'acked') rem.removed = Array.isArray(res.reply) && res.reply.some((m) => m.toString('latin1') === member);
      return note(res.outcome === 'acked' ? `ok removed ${rem.removed ? 1 : 0}` : `${res.outcome}: ${res.error}`);
    }
    const member = `m${client}.${op}`;
    const add: Add = { key, member, client, op, startedAt: this.world.clock.now(), outcome: 'pending' };
    this.adds.push(add);
    note(`sadd ${key} ${member} at ${node.id}`);
    const res = await this.call(node, key, { t: 'sadd', names: [Buffer.from(member, 'latin1')], max: 1_000_000, maxBytes: 1 << 30 });
    add.outcome = res.outcome;
    if (res.outcome !== 'acked') return note(`${res.outcome}: ${res.error}`);
    add.ackedAt = this.world.clock.now();
    mine.push(member);
    note(`ok ${String(res.reply)}`);
  }

  private async hincrby(node: SimNode, note: (text: string) => void): Promise<void> {
    const delta = BigInt(1 + this.rng.int(5));
    note(`hincrby ${HASH_KEY} ${HASH_FIELD} ${delta} at ${node.id}`);
    const res = await this.call(node, HASH_KEY, { t: 'hincrby', name: Buffer.from(HASH_FIELD), delta, max: 1_000_000, maxBytes: 1 << 30 });
    if (res.outcome === 'acked') {
      this.hincr.acked += delta;
      this.world.count('field increments acked');
      return note(`ok ${String(res.reply)}`);
    }
    this.hincr.maybe += delta;
    note(`${res.outcome}: ${res.error}`);
  }

  /** Sends op to the key's coordinating replica through node; a node that is down refuses, one that crashes meanwhile leaves the outcome unknown. */
  private call(node: SimNode, key: string, op: CollectionOp): Promise<{ outcome: Outcome; reply?: OpReply; error?: string }> {
    return this.send(node, key, { value: EMPTY, tombstone: false, expireAt: 0, supersedes: { kind: 'local' }, op });
  }

  /** Sends a write through node; a node that is down refuses, one that crashes meanwhile leaves the outcome unknown. */
  private async send(node: SimNode, key: string, req: WriteRequest): Promise<{ outcome: Outcome; reply?: OpReply; error?: string }> {
    let target;
    try {
      target = node.coordinator();
    } catch (e) {
      this.counts.failed++;
      return { outcome: 'failed', error: (e as Error).message };
    }
    let reply: OpReply = null;
    try {
      await Promise.race([target.coord.write(Buffer.from(key), req, { onReply: (r) => (reply = r) }), target.died]);
      this.counts.acked++;
      return { outcome: 'acked', reply };
    } catch (e) {
      if (!isQkvError(e)) this.world.oracle.fail('only-expected-errors', `a ${req.op?.t ?? 'del'} at ${node.id} threw ${(e as Error).stack ?? String(e)}`);
      const error = isQkvError(e) ? `${e.code} ${e.message}` : String(e);
      if (!node.up || node.coordinator().died !== target.died) {
        this.counts.unknown++;
        return { outcome: 'unknown', error };
      }
      this.counts.failed++;
      return { outcome: 'failed', error };
    }
  }

  /** The end-of-run rules for one key's repaired record. */
  checkFinal(key: string, obj: VersionedObject | undefined): void {
    const now = this.world.clock.now();
    const visible = obj ? resolveVisible(obj, now) : undefined;
    const state = visible?.collection;
    const oracle = this.world.oracle;
    if (key === HASH_KEY) {
      const { acked, maybe } = this.hincr;
      const raw = state ? fieldValue({ get: (n) => state.entries.get(n) }, HASH_FIELD, now) : undefined;
      const total = raw ? BigInt(raw.toString('latin1')) : 0n;
      this.world.history.note(`final hash ${key} ${HASH_FIELD}: ${total} (acked ${acked}, maybe ${maybe})`);
      // The field's entries folded as HGET folds them: each actor's increments in the total.
      const entries = state?.entries.get(HASH_FIELD);
      const folded = entries ? resolveVisible({ clock: {}, siblings: entries }, now)?.counterState : undefined;
      const counts = new Map([...(folded ? decodeCounter(folded).entries : [])].map(([actor, e]) => [actor, e.inc] as const));
      const short = oracle.fieldShortfall(key, HASH_FIELD, counts);
      for (const d of short.detail) this.world.history.note(`final hash ${key} ${HASH_FIELD}: ${d}`);
      if (short.kept > 0n) {
        oracle.fail('no-lost-increment', `${key} ${HASH_FIELD}: total ${total}: ${short.kept} of increments some disk stored and still holds are not counted (${short.detail.join('; ')})`);
      } else if (total < acked) {
        if (total + short.withDisks >= acked) this.world.count('acked field increments lost with their disks');
        else oracle.fail('no-lost-increment', `${key} ${HASH_FIELD}: total ${total} is below the ${acked} acknowledged (${short.withDisks} went with lost disks)`);
      }
      if (total > acked + maybe) this.world.count('field totals above the increments sent (duplicated requests)');
      return;
    }
    if (visible && visible.kind !== 'set') return oracle.fail('collection-type', `${key} holds a ${visible.kind ?? 'string'}, not a set`);
    const members = new Set(state ? state.entries.keys() : []);
    this.world.history.note(`final set ${key}: ${[...members].sort().join(' ') || '(empty)'}`);
    const sent = new Map(this.adds.filter((a) => a.key === key).map((a) => [a.member, a]));
    for (const m of members) {
      if (!sent.has(m)) oracle.fail('members-from-clients', `${key}: member ${m} is in the final set, but no SADD of ${key} sent it`);
    }
    for (const a of sent.values()) {
      const removes = this.removes.filter((r) => r.key === key && r.member === a.member);
      // A DEL not acknowledged before the SADD began may have come after it.
      const deleted = this.deletes.some((d) => d.key === key && (d.outcome !== 'acked' || d.ackedAt! >= a.startedAt));
      if (a.outcome === 'acked' && removes.length === 0 && !deleted && !members.has(a.member)) {
        if (oracle.memberLostWithDisks(key, a.member)) {
          // Every disk that stored it was wiped or lost its unsynced tail: allowed, as for other writes.
          this.world.count('acked adds lost with their disks');
          this.world.history.note(`lost with every disk that held it: sadd ${key} ${a.member}`);
        } else {
          const hintsOnly = oracle.memberStored(key, a.member) ? '' : ' (held only as hints: no replica ever stored it as data)';
          oracle.fail('no-lost-add', `op ${a.op}: acknowledged sadd ${key} ${a.member} (c${a.client}, at ${a.ackedAt} ms) is missing from the final set; no SREM of it was sent${hintsOnly}`);
        }
      }
      if (members.has(a.member) && removes.some((r) => r.outcome === 'acked' && !r.removed)) this.world.count('members kept past an acknowledged SREM that found nothing');
      if (members.has(a.member) && removes.some((r) => r.outcome === 'acked' && r.removed)) {
        this.world.count('members back after an acknowledged SREM removed them');
        this.world.history.note(`back: ${key} ${a.member}`);
      }
      if (a.outcome === 'acked') this.world.count('adds acked');
    }
  }
}
