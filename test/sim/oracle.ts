import { covers } from '../../src/versioning/clock.js';
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
  outcome: Outcome;
  readonly startedAt: number;
  /** Simulated time of the acknowledgement. */
  ackedAt?: number;
  /** The dot of the sibling the acknowledgement returned (write(); update() returns no object). */
  ackDot?: Dot;
  /** Every dot the write was given (more than one if its forwarded request was duplicated). */
  readonly dots: Dot[];
}

/** One sibling as created by a coordinating replica. */
export interface Creation {
  readonly key: string;
  readonly dot: Dot;
  readonly value: string;
  readonly write: WriteRecord;
  /** What this write removes: every sibling whose dot this clock covers. */
  readonly supersedes: VersionVector;
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
  private readonly byValue = new Map<string, WriteRecord>();
  /** key|dot -> creation. */
  private readonly created = new Map<string, Creation>();
  readonly violations: Violation[] = [];
  /** key|dot of tombstones some replica collected (anti-entropy's tombstone collection). */
  private readonly collected = new Set<string>();
  private readonly collectedKeys = new Set<string>();
  /** key|dot of siblings some replica stored durably as data (not only as a hint). */
  private readonly stored = new Set<string>();
  maxSiblings = 0;

  fail(invariant: string, message: string): void {
    this.violations.push({ invariant, message });
  }

  /** Registers a write before it is issued, so its puts can be traced to it. */
  begin(w: Omit<WriteRecord, 'dots' | 'outcome'>): WriteRecord {
    const rec: WriteRecord = { ...w, outcome: 'pending', dots: [] };
    this.writes.push(rec);
    this.byValue.set(rec.value, rec);
    return rec;
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

  /** Every put by a live node: records the dots that node coordinated. */
  observePut(node: string, key: string, obj: VersionedObject): void {
    for (const s of obj.siblings) {
      if (s.dot.node !== node) continue;
      const id = `${key}|${dotText(s.dot)}`;
      const value = s.value.toString();
      let known = this.created.get(id);
      // A dot whose only put failed was never shown to anyone: the coordinator may use it again.
      if (known && known.value !== value && !known.durable) {
        this.created.delete(id);
        known = undefined;
      }
      if (known) {
        if (known.value !== value) {
          const after = this.collectedKeys.has(key) ? ' (after tombstones of the key were collected)' : '';
          this.fail('dot-unique', `${node} issued dot ${dotText(s.dot)} of ${key} twice: for ${known.value} and for ${value}${after}`);
          // Still traced to its write, so the later checks show what the reuse leads to.
          const again = this.byValue.get(value);
          if (again && !again.dots.some((d) => sameDot(d, s.dot))) again.dots.push(s.dot);
        }
        continue;
      }
      const write = this.byValue.get(value);
      if (!write || write.key !== key) {
        this.fail('values-from-clients', `${node} stored ${JSON.stringify(value)} under ${key}, which no client wrote there`);
        continue;
      }
      write.dots.push(s.dot);
      this.created.set(id, { key, dot: s.dot, value, write, supersedes: supersededBy(write, s.dot, obj.clock), durable: false });
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

  /** A put landed on some node's disk: its siblings are data there. */
  observeStored(key: string, obj: VersionedObject): void {
    for (const s of obj.siblings) {
      this.stored.add(`${key}|${dotText(s.dot)}`);
      const made = this.created.get(`${key}|${dotText(s.dot)}`);
      if (made && made.value === s.value.toString()) made.durable = true;
    }
  }

  creation(key: string, dot: Dot): Creation | undefined {
    return this.created.get(`${key}|${dotText(dot)}`);
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
        if (i !== j && by && covers(by.supersedes, a.dot)) {
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
   * acknowledged write is present unless some write superseded it, and no
   * sibling an acknowledged write superseded (a deleted value, say) is back.
   */
  checkFinal(key: string, obj: VersionedObject | undefined): void {
    if (obj) this.checkObject(`final state`, key, obj);
    const writes = this.writes.filter((w) => w.key === key);
    const creations = [...this.created.values()].filter((c) => c.key === key);
    for (const w of writes) {
      if (w.outcome !== 'acked') continue;
      if (w.dots.length === 0) {
        this.fail('ack-was-stored', `op ${w.op}: ${w.value} of ${key} was acknowledged but no replica ever stored it`);
        continue;
      }
      // A duplicated request may have run the write twice (two dots, one value): one surviving copy is enough,
      // and if none survives, the last copy standing was removed by some other write.
      const present = w.dots.some((d) => obj?.siblings.some((s) => sameDot(s.dot, d) && s.value.toString() === w.value));
      const superseded = creations.some((c) => c.write !== w && w.dots.some((d) => covers(c.supersedes, d)));
      const collected = w.kind === 'delete' && w.dots.some((d) => this.collected.has(`${key}|${dotText(d)}`));
      if (!present && !superseded && !collected) {
        // A write acknowledged by stand-ins' hints alone, never stored as data, is lost if its hints were dropped.
        const hintsOnly = !w.dots.some((d) => this.stored.has(`${key}|${dotText(d)}`)) ? ' (held only as hints: no replica ever stored it as data)' : '';
        this.fail('no-lost-write', `op ${w.op}: acknowledged ${w.kind} ${w.value} of ${key} (${w.dots.map(dotText).join(',')}) is lost: absent and superseded by no write${hintsOnly}`);
      }
    }
    for (const s of obj?.siblings ?? []) {
      for (const w of writes) {
        if (w.outcome !== 'acked' || String(s.value) === w.value) continue;
        const by = (w.ackDot ? [w.ackDot] : w.dots).map((d) => this.creation(key, d)).find((c) => c && covers(c.supersedes, s.dot));
        if (by) {
          const what = w.kind === 'delete' ? 'deleted by' : 'superseded by';
          this.fail('no-resurrection', `${key}: ${s.value} (${dotText(s.dot)}) is back, though ${what} acknowledged op ${w.op} (${w.value})`);
        }
      }
    }
  }
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
