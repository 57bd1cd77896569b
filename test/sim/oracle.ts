import { nodeOfActor } from '../../src/versioning/actor.js';
import { covers } from '../../src/versioning/clock.js';
import { decodeCounter } from '../../src/versioning/counter.js';
import { decodeDotMap } from '../../src/versioning/dot-map.js';
import type { Dot, VersionVector, VersionedObject } from '../../src/versioning/types.js';

/**
 * What the clients did and what the nodes made of it, and the rules that
 * must hold. The checker learns each write's dot(s) from the stores' puts
 * (ObservedStore): every client write carries a value unique in the run, so a
 * sibling is traced back to the write that made it, even when the client
 * never heard back.
 */

export type WriteKind = 'add' | 'blind' | 'plain' | 'delete' | 'update';
export type Outcome = 'pending' | 'acked' | 'failed' | 'unknown';

export interface WriteRecord {
  readonly op: number;
  readonly key: string;
  readonly value: string;
  readonly kind: WriteKind;
  /** The context the client sent (add, delete) or the clock update() read; null for blind and plain writes. */
  ctx: VersionVector | null;
  /** The oracle's event count when ctx was read: a write created after it cannot be in ctx (causality). */
  ctxSeq: number;
  outcome: Outcome;
  readonly startedAt: number;
  /** Simulated time of the acknowledgement. */
  ackedAt?: number;
  /** The dot of the sibling the acknowledgement returned (write(); update() returns no object). */
  ackDot?: Dot;
  /** Every dot the write was given (more than one if its forwarded request was duplicated). */
  readonly dots: Dot[];
  /** When each of `dots` was issued for this write (oracle event count). */
  readonly dotSeqs: number[];
}

/** One sibling as created by a coordinating replica. */
export interface Creation {
  readonly key: string;
  readonly dot: Dot;
  readonly value: string;
  readonly write: WriteRecord;
  /** What this write removes: every sibling whose dot this clock covers. */
  readonly supersedes: VersionVector;
  /** When the dot was issued (oracle event count). */
  readonly seq: number;
  /** When what `supersedes` holds was read: it can only hold dots issued before. */
  readonly sawUpTo: number;
  /** Some put holding this dot reached the disk; until then a failed put leaves the dot unused. */
  durable: boolean;
}

export interface Violation {
  readonly invariant: string;
  readonly message: string;
}

export function dotText(d: Dot): string {
  return `${d.node}:${d.counter}`;
}

function sameDot(a: Dot, b: Dot): boolean {
  return a.node === b.node && a.counter === b.counter;
}

export class Oracle {
  readonly writes: WriteRecord[] = [];
  /** Keys another workload checks (their deletes are not client values of this one), so the per-write rules skip them. */
  readonly untracked = new Set<string>();
  private readonly byValue = new Map<string, WriteRecord>();
  /** key|dot -> creation. */
  private readonly created = new Map<string, Creation>();
  readonly violations: Violation[] = [];
  /** key|dot of tombstones some replica collected (anti-entropy's tombstone collection). */
  private readonly collected = new Set<string>();
  private readonly collectedKeys = new Set<string>();
  /** key|dot of siblings some replica stored durably as data (not only as a hint). */
  private readonly stored = new Set<string>();
  /** key|dot|value -> node -> true ms its first put holding that sibling landed: the copies on disks. */
  private readonly holders = new Map<string, Map<string, number>>();
  /** key|dot|value of siblings some node lost with its disk (wipe) or its unsynced tail (power loss). */
  private readonly destroyed = new Set<string>();
  /** Acknowledged writes lost because every disk that held them was destroyed (allowed; counted). */
  readonly lostWithDisks: string[] = [];
  /** Events seen (dots issued, contexts read): orders creations against the contexts that may cover them. */
  private seq = 0;
  maxSiblings = 0;

  fail(invariant: string, message: string): void {
    if (this.violations.some((v) => v.invariant === invariant && v.message === message)) return;
    this.violations.push({ invariant, message });
  }

  /** Registers a write before it is issued, so its puts can be traced to it (its context, if any, was read by now). */
  begin(w: Omit<WriteRecord, 'dots' | 'dotSeqs' | 'outcome' | 'ctxSeq'>): WriteRecord {
    const rec: WriteRecord = { ...w, outcome: 'pending', dots: [], dotSeqs: [], ctxSeq: ++this.seq };
    this.writes.push(rec);
    this.byValue.set(rec.value, rec);
    return rec;
  }

  /** update()'s decide ran: the write's context is the clock it read, now. */
  contextRead(w: WriteRecord, ctx: VersionVector): void {
    w.ctx = ctx;
    w.ctxSeq = ++this.seq;
  }

  /** A write's acknowledgement, with the object write() returned (undefined for update()). */
  acked(w: WriteRecord, obj: VersionedObject | undefined, now: number): void {
    w.outcome = 'acked';
    w.ackedAt = now;
    if (!obj) return;
    const s = obj.siblings.find((x) => x.value.toString() === w.value);
    if (!s) return this.fail('ack-holds-write', `op ${w.op}: write ${w.value} of ${w.key} was acknowledged with an object lacking its sibling`);
    w.ackDot = s.dot;
    this.checkObject(`ack of op ${w.op}`, w.key, obj);
  }

  /**
   * Every put by a live node: records the dots that node coordinated. A dot
   * names one write of its key for good: issued again for another value
   * (even after the first one's put failed) is a violation. (Dots of
   * different keys never meet in one object, so only a key's own dots count.)
   */
  observePut(node: string, key: string, obj: VersionedObject): void {
    if (this.untracked.has(key)) return;
    for (const s of obj.siblings) {
      // Counters, hashes and sets hold states, not client values; counter-clients.ts and collection-clients.ts check them.
      if (nodeOfActor(s.dot.node) !== node || s.counter || s.kind) continue;
      const id = `${key}|${dotText(s.dot)}`;
      const value = s.value.toString();
      const first = this.created.get(id);
      if (first && first.value !== value) {
        const after = this.collectedKeys.has(key) ? ' (after tombstones of the key were collected)' : '';
        this.fail('dot-unique', `${node} issued dot ${dotText(s.dot)} of ${key} twice: for ${first.value} and for ${value}${after}`);
        // Still traced to its write, so the later checks show what the reuse leads to.
        const again = this.byValue.get(value);
        if (again && again.key === key && !again.dots.some((d) => sameDot(d, s.dot))) {
          again.dots.push(s.dot);
          again.dotSeqs.push(++this.seq);
        }
        continue;
      }
      if (first) continue;
      const write = this.byValue.get(value);
      if (!write || write.key !== key) {
        this.fail('values-from-clients', `${node} stored ${JSON.stringify(value)} under ${key}, which no client wrote there`);
        continue;
      }
      const seq = ++this.seq;
      write.dots.push(s.dot);
      write.dotSeqs.push(seq);
      const sawUpTo = write.kind === 'plain' || write.kind === 'blind' ? seq : write.ctxSeq;
      this.created.set(id, { key, dot: s.dot, value, write, supersedes: supersededBy(write, s.dot, obj.clock), seq, sawUpTo, durable: false });
    }
  }

  /**
   * A replica collects a dead record. Its tombstones' writes took effect
   * (their absence later is no lost write); what they deleted is still
   * checked by no-resurrection.
   */
  observePurge(key: string, obj: VersionedObject): void {
    this.collectedKeys.add(key);
    for (const s of obj.siblings) if (s.tombstone) this.collected.add(`${key}|${dotText(s.dot)}`);
  }

  /** A put landed on `node`'s disk at true time `at`: its siblings are data there. */
  observeStored(node: string, key: string, obj: VersionedObject, at: number): void {
    for (const s of obj.siblings) {
      // A set's or hash's members are tracked one by one (collection-clients.ts asks memberLostWithDisks).
      if (s.kind) this.observeCollection(node, key, s.value, at);
      this.stored.add(`${key}|${dotText(s.dot)}`);
      const made = this.created.get(`${key}|${dotText(s.dot)}`);
      if (made && made.value === s.value.toString()) made.durable = true;
      this.holdAt(`${key}|${dotText(s.dot)}|${s.value.toString()}`, node, at);
    }
  }

  private holdAt(copy: string, node: string, at: number): void {
    let on = this.holders.get(copy);
    if (!on) this.holders.set(copy, (on = new Map()));
    if (!on.has(node)) on.set(node, at);
  }

  /** Per key and field, every (actor, increments) a stored field counter held: field -> actor -> counts. */
  private readonly fieldCounts = new Map<string, Map<string, Set<bigint>>>();

  private observeCollection(node: string, key: string, value: Buffer, at: number): void {
    for (const [name, entries] of decodeDotMap(value).entries) {
      this.holdAt(memberCopy(key, name), node, at);
      for (const e of entries) {
        if (!e.counter) continue;
        for (const [actor, { inc }] of decodeCounter(e.value).entries) {
          const id = `${key}|${name}`;
          let byActor = this.fieldCounts.get(id);
          if (!byActor) this.fieldCounts.set(id, (byActor = new Map()));
          let counts = byActor.get(actor);
          if (!counts) byActor.set(actor, (counts = new Set()));
          counts.add(inc);
          this.holdAt(fieldCopy(key, name, actor, inc), node, at);
        }
      }
    }
  }

  /**
   * How a field counter's final increments (actor -> inc) compare with what
   * disks stored: per actor, the increments above the final count that some
   * disk stored and still holds (`kept`: a merge lost them), and those whose
   * every copy went with lost disks (`withDisks`: allowed).
   */
  fieldShortfall(key: string, field: string, final: ReadonlyMap<string, bigint>): { kept: bigint; withDisks: bigint; detail: string[] } {
    let kept = 0n;
    let withDisks = 0n;
    const detail: string[] = [];
    for (const [actor, counts] of this.fieldCounts.get(`${key}|${field}`) ?? []) {
      const have = final.get(actor) ?? 0n;
      let held = have;
      let gone = have;
      for (const inc of counts) {
        if (inc <= have) continue;
        const copy = fieldCopy(key, field, actor, inc);
        const lost = this.destroyed.has(copy) && (this.holders.get(copy)?.size ?? 0) === 0;
        if (lost) gone = inc > gone ? inc : gone;
        else held = inc > held ? inc : held;
      }
      if (held > have) {
        kept += held - have;
        const on = [...(this.holders.get(fieldCopy(key, field, actor, held))?.keys() ?? [])].join(',');
        detail.push(`${actor}: final ${have}, ${held} stored on ${on}`);
      } else if (gone > have) {
        withDisks += gone - have;
        detail.push(`${actor}: final ${have}, ${gone} lost with its disks`);
      }
    }
    return { kept, withDisks, detail };
  }

  /** Every disk that ever stored a state of key holding the member lost it, and none holds it now. */
  memberLostWithDisks(key: string, member: string): boolean {
    const copy = memberCopy(key, member);
    return this.destroyed.has(copy) && (this.holders.get(copy)?.size ?? 0) === 0;
  }

  /** Whether some disk ever stored a state of key holding the member (as data, not only as a hint). */
  memberStored(key: string, member: string): boolean {
    return this.holders.has(memberCopy(key, member));
  }

  /** `node` lost every copy that landed after `since` (a wipe: -Infinity; a power loss: the fsync horizon). */
  observeDiskLoss(node: string, since: number): void {
    for (const [copy, on] of this.holders) {
      const at = on.get(node);
      if (at === undefined || at <= since) continue;
      on.delete(node);
      this.destroyed.add(copy);
    }
  }

  creation(key: string, dot: Dot): Creation | undefined {
    return this.created.get(`${key}|${dotText(dot)}`);
  }

  /**
   * Whether creation `by` superseded the sibling with `dot` (issued at
   * `issuedAt`, by default when the dot was first issued): its clock covers
   * the dot, and was read after the dot was issued. A clock read before
   * can only cover the dot if it was issued twice.
   */
  private supersedes(key: string, by: Creation, dot: Dot, issuedAt = this.creation(key, dot)?.seq ?? -Infinity): boolean {
    return covers(by.supersedes, dot) && issuedAt < by.sawUpTo;
  }

  /** Every disk that ever held one of w's copies lost it, and none holds it now. */
  private lostWithItsDisks(w: WriteRecord): boolean {
    const copies = w.dots.map((d) => `${w.key}|${dotText(d)}|${w.value}`);
    return copies.some((c) => this.destroyed.has(c)) && copies.every((c) => (this.holders.get(c)?.size ?? 0) === 0);
  }

  /**
   * Rules for any object a node returned or holds: every sibling was created
   * by a known write, and no sibling is one another sibling's write
   * superseded (so siblings are only truly concurrent writes, bounded by the
   * number of concurrent writers).
   */
  checkObject(where: string, key: string, obj: VersionedObject): void {
    this.maxSiblings = Math.max(this.maxSiblings, obj.siblings.length);
    const made = obj.siblings.map((s) => this.creation(key, s.dot));
    obj.siblings.forEach((s, i) => {
      if (!made[i]) this.fail('values-from-clients', `${where}: sibling ${dotText(s.dot)}=${s.value} of ${key} was never created by a coordinator`);
      else if (made[i].value !== s.value.toString()) {
        this.fail('dot-unique', `${where}: sibling ${dotText(s.dot)} of ${key} holds ${s.value}, but the dot was issued for ${made[i].value}`);
      }
    });
    for (const [i, a] of obj.siblings.entries()) {
      for (const [j, b] of obj.siblings.entries()) {
        const by = made[j];
        if (i !== j && by && this.supersedes(key, by, a.dot)) {
          this.fail('siblings-concurrent', `${where}: ${key} holds ${a.value} (${dotText(a.dot)}) beside ${b.value} (${dotText(b.dot)}), whose write superseded it`);
        }
      }
    }
  }

  /**
   * A quorum read (R + W > N) sees every write acknowledged before it
   * started: its sibling is there, or the result's clock covers it (a later
   * write superseded it).
   */
  checkReadSeesAcked(where: string, key: string, startedAt: number, obj: VersionedObject | undefined): void {
    for (const w of this.writes) {
      if (w.key !== key || w.outcome !== 'acked' || !w.ackDot || w.ackedAt === undefined || w.ackedAt >= startedAt) continue;
      const dot = w.ackDot;
      if (obj && (covers(obj.clock, dot) || obj.siblings.some((s) => sameDot(s.dot, dot)))) continue;
      this.fail('read-sees-acked', `${where}: the read of ${key} misses ${w.value} (${dotText(dot)}), acknowledged before the read began`);
    }
  }

  /**
   * After heal and repair, with the merged final object of each key: every
   * acknowledged write is present unless a write that causally saw it
   * superseded it (its context, or its coordinator's copy, covered the dot
   * and was read after the dot was issued), and no sibling an acknowledged
   * write superseded (a deleted value, say) is back. A write every copy of
   * which was on disks that were wiped or lost their unsynced tail is lost
   * with them: allowed, and counted.
   */
  checkFinal(key: string, obj: VersionedObject | undefined): void {
    if (obj) this.checkObject(`final state`, key, obj);
    const writes = this.writes.filter((w) => w.key === key);
    const creations = [...this.created.values()].filter((c) => c.key === key);
    const gone = new Set<WriteRecord>();
    for (const w of writes) {
      if (w.outcome !== 'acked') continue;
      if (w.dots.length === 0) {
        this.fail('ack-was-stored', `op ${w.op}: ${w.value} of ${key} was acknowledged but no replica ever stored it`);
        continue;
      }
      // A duplicated request may have run the write twice (two dots, one value): one surviving copy is enough,
      // and if none survives, the last copy standing was removed by some other write.
      const present = w.dots.some((d) => obj?.siblings.some((s) => sameDot(s.dot, d) && s.value.toString() === w.value));
      const superseded = creations.some((c) => c.write !== w && w.dots.some((d, i) => this.supersedes(key, c, d, w.dotSeqs[i])));
      const collected = w.kind === 'delete' && w.dots.some((d) => this.collected.has(`${key}|${dotText(d)}`));
      if (present || superseded || collected) continue;
      if (this.lostWithItsDisks(w)) {
        gone.add(w);
        this.lostWithDisks.push(`op ${w.op} ${w.value} of ${key}`);
        continue;
      }
      // A write acknowledged by stand-ins' hints alone, never stored as data, is lost if its hints were dropped.
      const hintsOnly = !w.dots.some((d) => this.stored.has(`${key}|${dotText(d)}`)) ? ' (held only as hints: no replica ever stored it as data)' : '';
      this.fail('no-lost-write', `op ${w.op}: acknowledged ${w.kind} ${w.value} of ${key} (${w.dots.map(dotText).join(',')}) is lost: absent and superseded by no write that saw it${hintsOnly}`);
    }
    // A write whose every copy went with lost disks takes what it superseded with it, whether or not a later
    // write had superseded it in turn: a surviving write that saw it would supersede the same siblings itself.
    const present = (w: WriteRecord): boolean => w.dots.some((d) => obj?.siblings.some((s) => sameDot(s.dot, d) && s.value.toString() === w.value));
    for (const w of writes) if (w.outcome === 'acked' && !gone.has(w) && !present(w) && this.lostWithItsDisks(w)) gone.add(w);
    for (const s of obj?.siblings ?? []) {
      for (const w of writes) {
        if (w.outcome !== 'acked' || gone.has(w) || String(s.value) === w.value) continue;
        const by = (w.ackDot ? [w.ackDot] : w.dots).map((d) => this.creation(key, d)).find((c) => c && this.supersedes(key, c, s.dot));
        if (by) {
          const what = w.kind === 'delete' ? 'deleted by' : 'superseded by';
          this.fail('no-resurrection', `${key}: ${s.value} (${dotText(s.dot)}) is back, though ${what} acknowledged op ${w.op} (${w.value})`);
        }
      }
    }
  }
}

function fieldCopy(key: string, field: string, actor: string, inc: bigint): string {
  return `${key}|field|${field}|${actor}|${inc}`;
}

/** The holders entry of one member of a set or hash (a key's sibling copies are `key|dot|value`, so these never meet them). */
function memberCopy(key: string, member: string): string {
  return `${key}|member|${member}`;
}

/** The clock of what a write removed, from its kind and the object its coordinator stored. */
function supersededBy(w: WriteRecord, dot: Dot, stored: VersionVector): VersionVector {
  switch (w.kind) {
    case 'blind':
      return {};
    case 'plain': {
      // A plain write supersedes everything its coordinator held: the stored clock without the new dot.
      const clock = { ...stored };
      clock[dot.node] = dot.counter - 1;
      return clock;
    }
    default:
      return w.ctx ?? {};
  }
}
