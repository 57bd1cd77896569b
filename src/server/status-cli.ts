import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { RespClient, RespReplyError, type RespValue } from './resp-client.js';

/**
 * `quorumkv status [-h host] [-p port] [-a password] [--json]`: asks one node
 * how it sees the cluster (QKV.STATUS and QKV.MEMBERS) and prints a table, or
 * with --json the status document exactly as the node gives it.
 */
export const STATUS_USAGE = `Usage: quorumkv status [-h host] [-p port] [-a password] [--tls --cacert F [--cert F --key F]] [--json]

Shows the cluster as one node sees it: members, their status, state, fault
domains and ring ownership, hinted handoff and repair progress, and a
progress bar with rate and ETA for every range stream (join, leave, rebuild,
cleanup of ranges handed over).

  -h, --host HOST      node to ask (default 127.0.0.1)
  -p, --port PORT      its RESP port (default 6379)
  -a, --pass PASSWORD  AUTH password (or QKV_REQUIREPASS in the environment)
  --tls                connect over TLS (the node's --tls-port)
  --cacert FILE        CA certificate the node's certificate is checked against
  --cert FILE          client certificate (for tls-auth-clients yes)
  --key FILE           its private key
  --json               print the status document as JSON
  --timeout MS         connect and reply timeout (default 5000)
  --help               print this text
`;

export interface StatusArgs {
  readonly host: string;
  readonly port: number;
  readonly password: string | null;
  readonly json: boolean;
  readonly timeoutMs: number;
  readonly help: boolean;
  /** --tls and its files (paths), or null for plain TCP. */
  readonly tls: StatusTls | null;
}

export interface StatusTls {
  readonly cacert: string | null;
  readonly cert: string | null;
  readonly key: string | null;
}

export interface StatusIo {
  out(text: string): void;
  err(text: string): void;
}

export class UsageError extends Error {}

export function parseStatusArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): StatusArgs {
  let host = '127.0.0.1';
  let port = 6379;
  let password: string | null = env.QKV_REQUIREPASS ?? null;
  let json = false;
  let timeoutMs = 5000;
  let help = false;
  let tls = false;
  const tlsFiles: { cacert: string | null; cert: string | null; key: string | null } = { cacert: null, cert: null, key: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '-h':
      case '--host':
        host = value();
        break;
      case '-p':
      case '--port':
        port = intIn(value(), arg, 1, 65535);
        break;
      case '-a':
      case '--pass':
        password = value();
        break;
      case '--json':
        json = true;
        break;
      case '--tls':
        tls = true;
        break;
      case '--cacert':
      case '--cert':
      case '--key':
        tlsFiles[arg.slice(2) as keyof StatusTls] = value();
        break;
      case '--timeout':
        timeoutMs = intIn(value(), arg, 1, 600_000);
        break;
      case '--help':
        help = true;
        break;
      default:
        throw new UsageError(`unknown option '${arg}'`);
    }
  }
  if (!tls && Object.values(tlsFiles).some((f) => f !== null)) throw new UsageError('--cacert, --cert and --key go with --tls');
  if ((tlsFiles.cert === null) !== (tlsFiles.key === null)) throw new UsageError('--cert and --key go together');
  return { host, port, password, json, timeoutMs, help, tls: tls ? tlsFiles : null };
}

function intIn(text: string, name: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`${name} expects an integer from ${min} to ${max}, got '${text}'`);
  return n;
}

export interface StatusMember {
  readonly id: string;
  readonly address: string;
  readonly peer: string;
  readonly status: string;
  readonly state: string;
  readonly rack: string;
  readonly dc: string;
  readonly ownership: number;
  readonly replicas: number;
  readonly phi: number | null;
  /** Records and bytes stored, when the node reports them. */
  readonly keys?: number | null;
  readonly bytes?: number | null;
  /** Why the member steps aside (a failing disk), when it does. */
  readonly unhealthy?: string;
}

/** QKV.MEMBERS's reply (RESP2: each member a flat field/value list) as records. */
export function membersFromReply(reply: RespValue): StatusMember[] {
  if (!Array.isArray(reply)) throw new Error('QKV.MEMBERS did not return an array');
  return reply.map((entry) => {
    if (!Array.isArray(entry)) throw new Error('QKV.MEMBERS returned a malformed member');
    const f = new Map<string, RespValue>();
    for (let i = 0; i + 1 < entry.length; i += 2) f.set(String(entry[i]), entry[i + 1]!);
    const text = (k: string): string => (f.get(k) === null || f.get(k) === undefined ? '' : String(f.get(k)));
    const num = (k: string): number | null => (f.get(k) === null || f.get(k) === undefined ? null : Number(f.get(k)));
    return {
      id: text('id'),
      address: text('address'),
      peer: text('peer'),
      status: text('status'),
      state: text('state'),
      rack: text('rack'),
      dc: text('dc'),
      ownership: num('ownership') ?? 0,
      replicas: num('replicas') ?? 0,
      phi: num('phi'),
      // Only where the node reports them, so older nodes' members keep their shape.
      ...(f.has('keys') ? { keys: num('keys') } : {}),
      ...(f.has('bytes') ? { bytes: num('bytes') } : {}),
      ...(f.has('unhealthy') ? { unhealthy: text('unhealthy') } : {}),
    };
  });
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** Nothing to report ({} or absent) shows as '-'; otherwise the JSON. */
function progress(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'object' && Object.keys(v).length === 0) return '-';
  return JSON.stringify(v);
}

function record(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function n(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Hints pending per target, e.g. 'node3: 1200 pending (3.1 MB), 50/s'; '-' when none. */
export function formatHints(v: unknown): string {
  const byTarget = record(v);
  if (!byTarget) return progress(v);
  const parts: string[] = [];
  for (const [target, raw] of Object.entries(byTarget)) {
    const t = record(raw);
    if (!t) return progress(v);
    if (n(t.pending) === 0 && n(t.dropped) === 0 && n(t.refused) === 0) continue;
    const dropped = n(t.dropped) > 0 ? `, ${n(t.dropped)} dropped` : '';
    const refused = n(t.refused) > 0 ? `, ${n(t.refused)} refused` : '';
    parts.push(`${target}: ${n(t.pending)} pending (${formatBytes(n(t.bytes))}), ${Math.round(n(t.rate))}/s${dropped}${refused}`);
  }
  return parts.length === 0 ? '-' : parts.join('; ');
}

/** Anti-entropy in one line: tree rebuild progress, exchanges, keys repaired and rate, collected tombstones, refused purges. */
export function formatRepair(v: unknown): string {
  const r = record(v);
  if (!r || !('exchanges' in r)) return progress(v);
  const rebuild = record(r.rebuild);
  const parts: string[] = [];
  if (rebuild && rebuild.running === true) {
    const total = n(rebuild.total);
    const pct = total > 0 ? ` ${Math.min(100, Math.floor((n(rebuild.done) / total) * 100))}%` : '';
    parts.push(`rebuilding trees${pct} (${n(rebuild.done)}/${total} keys, ${formatDuration(n(rebuild.etaSeconds))} left)`);
  }
  parts.push(`${n(r.exchanges)} exchanges (${n(r.exchangesInSync)} in sync, ${n(r.exchangesFailed)} failed)`);
  parts.push(`${n(r.keysRepaired)} keys repaired (${formatBytes(n(r.bytesRepaired))}), ${Math.round(n(r.repairRate))} keys/s`);
  const purged = n(r.tombstonesPurged) + n(r.expiredPurged);
  if (purged > 0) parts.push(`${purged} tombstones collected`);
  if (n(r.purgesRefused) > 0) parts.push(`${n(r.purgesRefused)} purges refused`);
  return parts.join(', ');
}

/** The human-readable report: a header line, one row per member, hints and repair, then a progress bar per stream in flight. */
export function formatStatus(doc: StatusDocument, members: readonly StatusMember[], node: string): string {
  const sized = members.some((m) => typeof m.keys === 'number' || typeof m.bytes === 'number');
  const header = ['ID', 'ADDRESS', 'PEER', 'STATUS', 'STATE', 'RACK', 'DC', 'OWNS', 'REPLICAS', 'PHI', ...(sized ? ['KEYS', 'BYTES'] : [])];
  const rows = members.map((m) => [
    m.id === doc.self ? `${m.id}*` : m.id,
    m.address,
    m.peer,
    m.status,
    m.state,
    m.rack,
    m.dc,
    percent(m.ownership),
    percent(m.replicas),
    m.phi === null ? '-' : m.phi.toFixed(2),
    ...(sized ? [typeof m.keys === 'number' ? String(m.keys) : '-', typeof m.bytes === 'number' ? formatBytes(m.bytes) : '-'] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const alive = members.filter((m) => m.status === 'alive').length;
  const notServing = Array.isArray(doc.notServing) ? doc.notServing.map(String) : [];
  const stepping = members.filter((m) => m.unhealthy);
  return [
    `${members.length} member(s), ${alive} alive, as seen by ${String(doc.self)} at ${node} (* marks it)`,
    ...(notServing.length > 0 ? [`${String(doc.self)} does not serve: ${notServing.join('; ')}`] : []),
    '',
    line(header),
    ...rows.map(line),
    '',
    ...stepping.map((m) => `unhealthy: ${m.id} steps aside (${m.unhealthy})`),
    ...formatPlacement(doc.replicasPerDc, members),
    ...formatDcs(doc.dcs),
    `hints:  ${formatHints(doc.hints)}`,
    `repair: ${formatRepair(doc.repair)}`,
    ...formatStreams(doc.streams),
    '',
  ].join('\n');
}

/** What the status document says of one range stream (QKV.STREAMS's fields). */
export interface StatusStream {
  readonly id: string;
  readonly kind: string;
  readonly direction: string;
  readonly peer: string | null;
  readonly state: string;
  readonly rangesDone: number;
  readonly rangesTotal: number;
  readonly keys: number;
  readonly bytes: number;
  readonly keysTotal: number | null;
  readonly keysPerSec: number;
  readonly bytesPerSec: number;
  readonly etaSeconds: number | null;
  readonly error: string | null;
}

export interface StatusDocument {
  readonly self?: unknown;
  readonly members?: unknown;
  readonly hints?: unknown;
  readonly repair?: unknown;
  readonly notServing?: unknown;
  readonly streams?: unknown;
  readonly replicasPerDc?: unknown;
  readonly dcs?: unknown;
}

/**
 * One line per DC: its members alive, and for a remote DC the recent lag of
 * this node's writes to it and the hints this node keeps for it, e.g.
 * 'dc dc2: 3 of 3 alive; lag p50 61.2 ms, p99 75 ms (512 writes); 96 hints pending (4.7 KB)'.
 */
export function formatDcs(dcs: unknown): string[] {
  if (!Array.isArray(dcs)) return [];
  return dcs.map((e: unknown) => {
    const d = (record(e) ?? {}) as { dc?: unknown; local?: unknown; members?: unknown; alive?: unknown; hintsPending?: unknown; hintsPendingBytes?: unknown; lag?: unknown };
    const head = `dc ${String(d.dc)}${d.local === true ? ' (this node)' : ''}: ${String(d.alive)} of ${String(d.members)} alive`;
    if (d.local === true) return head;
    const lag = record(d.lag) as { p50Ms?: unknown; p99Ms?: unknown; samples?: unknown } | undefined;
    const lagText = lag ? `lag p50 ${String(lag.p50Ms)} ms, p99 ${String(lag.p99Ms)} ms (${String(lag.samples)} writes)` : 'no writes sent yet';
    const bytes = typeof d.hintsPendingBytes === 'number' && d.hintsPendingBytes > 0 ? ` (${formatBytes(d.hintsPendingBytes)})` : '';
    return `${head}; ${lagText}; ${String(d.hintsPending ?? 0)} hints pending${bytes}`;
  });
}

/** 'replicas per DC: dc1 3 (of 3 members), ...', or nothing when the cluster places replicas without regard to DCs. */
export function formatPlacement(perDc: unknown, members: readonly StatusMember[]): string[] {
  if (!Array.isArray(perDc) || perDc.length === 0) return [];
  const parts = perDc.map((e: unknown) => {
    const { dc, count } = (record(e) ?? {}) as { dc?: unknown; count?: unknown };
    const here = members.filter((m) => m.dc === dc && m.status !== 'left').length;
    return `${String(dc)} ${String(count)} (of ${here} member${here === 1 ? '' : 's'})`;
  });
  return [`replicas per DC: ${parts.join(', ')}`];
}

const BAR_WIDTH = 24;

/** 'streams:' and one line per stream not yet done, or nothing when none is in flight. */
export function formatStreams(streams: unknown): string[] {
  if (!Array.isArray(streams)) return [];
  const live = streams.filter((s): s is StatusStream => isStream(s) && s.state !== 'done');
  if (live.length === 0) return [];
  return ['', 'streams:', ...live.map(formatStream)];
}

function isStream(s: unknown): s is StatusStream {
  if (typeof s !== 'object' || s === null) return false;
  const r = s as Record<string, unknown>;
  return typeof r.id === 'string' && typeof r.state === 'string' && typeof r.keys === 'number' && typeof r.rangesTotal === 'number';
}

/** One stream: what, a bar, keys done of the estimate, rate and ETA. */
export function formatStream(s: StatusStream): string {
  const byKeys = s.keysTotal !== null && s.keysTotal > 0;
  const done = byKeys ? s.keys / s.keysTotal! : s.rangesTotal > 0 ? s.rangesDone / s.rangesTotal : 0;
  const frac = Math.max(0, Math.min(1, done));
  const filled = Math.round(frac * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const peer = s.peer === null ? '' : s.direction === 'push' ? ` to ${s.peer}` : ` from ${s.peer}`;
  const keys = byKeys ? `${s.keys}/${s.keysTotal} keys` : `${s.keys} keys`;
  const eta = s.etaSeconds === null ? 'ETA ?' : `ETA ${formatDuration(s.etaSeconds)}`;
  const parts = [
    `  ${s.kind} ${s.direction}${peer} (${s.state})`,
    bar,
    `${(frac * 100).toFixed(1)}%`,
    `ranges ${s.rangesDone}/${s.rangesTotal}`,
    keys,
    formatBytes(s.bytes),
    `${Math.round(s.keysPerSec)} keys/s`,
    `${formatBytes(s.bytesPerSec)}/s`,
    eta,
  ];
  return parts.join('  ') + (s.error !== null && s.state !== 'running' ? `  last error: ${s.error}` : '');
}

/**
 * Each member knows only its own keys and bytes: ask every alive member for
 * its own row (in parallel, briefly); one that does not answer shows '-'.
 */
async function withOwnLoad(members: StatusMember[], args: StatusArgs): Promise<StatusMember[]> {
  const ask = async (m: StatusMember): Promise<StatusMember> => {
    if (typeof m.keys === 'number' || m.status !== 'alive') return m;
    const at = /^\[?(.*?)\]?:(\d+)$/.exec(m.address);
    if (!at) return m;
    let c: RespClient | null = null;
    try {
      c = await RespClient.connect({ host: at[1]!, port: Number(at[2]), timeoutMs: Math.min(args.timeoutMs, 2000), ...clientTls(args) });
      if (args.password !== null) await c.call('AUTH', args.password);
      const own = membersFromReply(await c.call('QKV.MEMBERS')).find((x) => x.id === m.id);
      return own && typeof own.keys === 'number' ? { ...m, keys: own.keys, bytes: own.bytes ?? null } : m;
    } catch {
      return m;
    } finally {
      c?.close();
    }
  };
  return Promise.all(members.map(ask));
}

/** 1536 -> '1.5 KB'. */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** 192 -> '3m12s'. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Runs the command; returns the exit code (0 ok, 1 the node could not be asked, 2 bad usage). */
export async function runStatus(argv: readonly string[], io: StatusIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args: StatusArgs;
  try {
    args = parseStatusArgs(argv, env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`quorumkv status: ${e.message}\n\n${STATUS_USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(STATUS_USAGE);
    return 0;
  }
  const node = args.host.includes(':') ? `[${args.host}]:${args.port}` : `${args.host}:${args.port}`;
  let client: RespClient | null = null;
  try {
    client = await RespClient.connect({ host: args.host, port: args.port, timeoutMs: args.timeoutMs, ...clientTls(args) });
    if (args.password !== null) await client.call('AUTH', args.password);
    const text = await client.call('QKV.STATUS');
    if (typeof text !== 'string') throw new Error('QKV.STATUS did not return a document');
    const members = await withOwnLoad(membersFromReply(await client.call('QKV.MEMBERS')), args);
    const doc = JSON.parse(text) as StatusDocument;
    if (args.json) {
      const load = new Map(members.map((m) => [m.id, m]));
      const enriched = {
        ...doc,
        members: (doc.members as Array<Record<string, unknown>> | undefined)?.map((m) => {
          const l = load.get(String(m.id));
          return l && typeof l.keys === 'number' ? { ...m, keys: l.keys, bytes: l.bytes ?? null } : m;
        }),
      };
      io.out(`${JSON.stringify(enriched)}\n`);
      return 0;
    }
    io.out(formatStatus(doc, members, node));
    return 0;
  } catch (e) {
    const why = e instanceof RespReplyError ? e.reply : e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e);
    io.err(`quorumkv status: cannot get the status from ${node}: ${why}\n`);
    return 1;
  } finally {
    client?.close();
  }
}

/** The TLS options of --tls, its files read now (as redis-cli does: the CA, and a client certificate when given). */
function clientTls(args: StatusArgs): { tls?: ConnectionOptions } {
  if (args.tls === null) return {};
  const read = (path: string | null): Buffer | undefined => (path === null ? undefined : readFileSync(path));
  const [ca, cert, key] = [read(args.tls.cacert), read(args.tls.cert), read(args.tls.key)];
  return { tls: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } };
}
