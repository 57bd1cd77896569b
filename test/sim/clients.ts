import { isQkvError } from '../../src/core/errors.js';
import type { Rng } from '../../src/core/rng.js';
import type { WriteRequest } from '../../src/coordinator/api.js';
import { clockToText } from '../../src/versioning/clock.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import type { WriteRecord } from './oracle.js';
import type { SimNode } from './sim-node.js';
import { ClientLoop } from './client-loop.js';
import type { World } from './world.js';

/** How often each kind of client operation is picked (relative weights). */
export interface OpMix {
  add: number;
  blind: number;
  plain: number;
  delete: number;
  update: number;
  read: number;
}

export const DEFAULT_MIX: OpMix = { add: 30, blind: 10, plain: 12, delete: 10, update: 8, read: 30 };

/**
 * Seeded clients: each runs one operation at a time against a random node
 * (several clients, so several operations are in flight), with a random
 * think time between. An operation against a node that crashes meanwhile
 * ends as `unknown`, as a dropped connection would.
 */
export class Clients extends ClientLoop {
  /** Operations and their outcomes, for the summary. */
  readonly counts = { ops: 0, acked: 0, failed: 0, unknown: 0, reads: 0 };

  constructor(
    world: World,
    rng: Rng,
    private readonly keys: readonly string[],
    budget: number,
    private readonly mix: OpMix,
    thinkMs: number,
    onStep: () => void,
    /** Check that quorum reads see acknowledged writes (not with sloppy quorums). */
    private readonly checkReadQuorum = true,
  ) {
    super(world, rng, budget, thinkMs, onStep);
  }

  private pickKind(): keyof OpMix {
    const entries = Object.entries(this.mix) as Array<[keyof OpMix, number]>;
    let roll = this.rng.next() * entries.reduce((s, [, w]) => s + w, 0);
    for (const [kind, w] of entries) {
      if ((roll -= w) < 0) return kind;
    }
    return 'read';
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.rng.int(xs.length)]!;
  }

  /** Overwrites while a node just wiped is being steered to: what its clients do as they reconnect. */
  private static readonly OVERWRITES: ReadonlyArray<keyof OpMix> = ['plain', 'update', 'add', 'blind'];

  protected async run(client: number, op: number): Promise<void> {
    const steer = this.world.steer && this.world.clock.now() < this.world.steer.until ? this.world.steer : null;
    const kind = steer ? this.pick(Clients.OVERWRITES) : this.pickKind();
    const key = this.pick(this.keys);
    const node = steer ? this.world.node(steer.node) : this.pick(this.world.nodes);
    // A client retries the refusals of a node starting up, as the reproduced incident's clients did.
    if (steer) while (!node.up && this.world.clock.now() < steer.until) await new Promise<void>((r) => this.world.clock.setTimeout(r, 1));
    const note = (text: string): void => this.world.history.note(`c${client} op ${op} ${text}`);
    this.counts.ops++;
    if (kind === 'read') return this.read(node, key, 1 + this.rng.int(this.world.settings.n), note);
    const value = `${kind[0]}${op}`;
    if (kind === 'add' || kind === 'delete') {
      // QGET then QSET/QDEL with the context read (the writer may be another node).
      const r = this.world.settings.r;
      note(`${kind} ${key}=${value}: read R=${r} at ${node.id}`);
      const read = await this.call(node, (c) => c.read(Buffer.from(key), { r }));
      if (!read.ok) return this.finish(note, null, read);
      const ctx = read.value?.clock ?? {};
      const writer = steer ? node : this.pick(this.world.nodes);
      const w = this.world.oracle.begin({ op, key, value, kind, ctx, startedAt: this.world.clock.now() });
      note(`${kind} ${key}=${value} ctx ${clockToText(ctx)} at ${writer.id}`);
      const res = await this.call(writer, (c) => c.write(Buffer.from(key), writeReq(value, kind === 'delete', { kind: 'context', clock: ctx })));
      return this.finish(note, w, res);
    }
    const w = this.world.oracle.begin({ op, key, value, kind, ctx: null, startedAt: this.world.clock.now() });
    note(`${kind} ${key}=${value} at ${node.id}`);
    if (kind === 'update') {
      const res = await this.call(node, (c) =>
        c.update(Buffer.from(key), (cur) => {
          this.world.oracle.contextRead(w, cur?.clock ?? {});
          return { write: { value: Buffer.from(value), tombstone: false, expireAt: 0 }, result: undefined };
        }),
      );
      return this.finish(note, w, res);
    }
    const supersedes = kind === 'blind' ? ({ kind: 'blind' } as const) : ({ kind: 'local' } as const);
    return this.finish(note, w, await this.call(node, (c) => c.write(Buffer.from(key), writeReq(value, false, supersedes))));
  }

  private async read(node: SimNode, key: string, r: number, note: (text: string) => void): Promise<void> {
    this.counts.reads++;
    const startedAt = this.world.clock.now();
    note(`read ${key} R=${r} at ${node.id}`);
    const res = await this.call(node, (c) => c.read(Buffer.from(key), { r }));
    if (!res.ok) return this.finish(note, null, res);
    const obj = res.value;
    note(`read ${key} -> ${describe(obj)}`);
    const oracle = this.world.oracle;
    if (obj) oracle.checkObject(`read of ${key} at ${node.id}`, key, obj);
    if (this.checkReadQuorum && r + this.world.settings.w > this.world.settings.n) oracle.checkReadSeesAcked(`read R=${r} at ${node.id}`, key, startedAt, obj);
  }

  private finish(note: (text: string) => void, w: WriteRecord | null, res: CallResult<VersionedObject | undefined>): void {
    const oracle = this.world.oracle;
    if (res.ok) {
      this.counts.acked++;
      if (w) {
        oracle.acked(w, res.value, this.world.clock.now());
        note(`ok ${w.ackDot ? `${w.ackDot.node}:${w.ackDot.counter}` : ''} ${describe(res.value)}`);
      }
      return;
    }
    if (res.unknown) this.counts.unknown++;
    else this.counts.failed++;
    if (w) w.outcome = res.unknown ? 'unknown' : 'failed';
    note(`${res.unknown ? 'unknown' : 'failed'}: ${res.error}`);
  }

  /** Runs an operation on a node; a node that is down refuses, a node that crashes meanwhile leaves the outcome unknown. */
  private async call<T>(node: SimNode, run: (c: ReturnType<SimNode['coordinator']>['coord']) => Promise<T>): Promise<CallResult<T>> {
    let target;
    try {
      target = node.coordinator();
    } catch (e) {
      return { ok: false, unknown: false, error: (e as Error).message };
    }
    try {
      return { ok: true, value: await Promise.race([run(target.coord), target.died]) };
    } catch (e) {
      if (!isQkvError(e)) {
        this.world.oracle.fail('only-expected-errors', `an operation at ${node.id} threw ${(e as Error).stack ?? String(e)}`);
        return { ok: false, unknown: true, error: String(e) };
      }
      const died = !node.up || node.coordinator().died !== target.died;
      return { ok: false, unknown: died, error: `${e.code} ${e.message}` };
    }
  }
}

type CallResult<T> = { ok: true; value: T } | { ok: false; unknown: boolean; error: string };

type Supersedes = WriteRequest['supersedes'];

function writeReq(value: string, tombstone: boolean, supersedes: Supersedes): WriteRequest {
  return { value: Buffer.from(value), tombstone, expireAt: 0, supersedes };
}

/** An object as history text: clock and siblings. */
export function describe(obj: VersionedObject | undefined): string {
  if (!obj) return '(none)';
  const sibs = obj.siblings.map((s) => `${s.tombstone ? '~' : ''}${s.value}@${s.dot.node}:${s.dot.counter}`).join(' ');
  return `${clockToText(obj.clock)} [${sibs}]`;
}
