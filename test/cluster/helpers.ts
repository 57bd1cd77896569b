import { RespClient, RespReplyError, type RespValue } from '../../src/server/resp-client.js';
import type { Teardown } from '../support/node-process.js';

/** A RESP client to 127.0.0.1:port, closed at teardown. */
export async function client(t: Teardown, port: number): Promise<RespClient> {
  const c = await RespClient.connect({ host: '127.0.0.1', port, timeoutMs: 10_000 });
  t.teardown(() => c.close());
  return c;
}

/** Runs a command; an error reply comes back as { error: text } instead of a rejection. */
export async function call(c: RespClient, ...args: string[]): Promise<RespValue | { error: string }> {
  try {
    return await c.call(...args);
  } catch (e) {
    if (e instanceof RespReplyError) return { error: e.reply };
    throw e;
  }
}

export interface StatusDoc {
  self: string;
  members: Array<{ id: string; address: string; status: string; state: string; rack: string; dc: string; ownership: number; phi: number | null }>;
  hints: Record<string, unknown>;
  repair: Record<string, unknown>;
}

export async function status(port: number): Promise<StatusDoc> {
  const c = await RespClient.connect({ host: '127.0.0.1', port, timeoutMs: 5000 });
  try {
    return JSON.parse(String(await c.call('QKV.STATUS'))) as StatusDoc;
  } finally {
    c.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until every node at `ports` sees member `id` with `want` status; throws after timeoutMs. */
export async function waitForStatus(ports: readonly number[], id: string, want: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const docs = await Promise.all(ports.map(status)).catch(() => []);
    if (docs.length === ports.length && docs.every((d) => d.members.some((m) => m.id === id && m.status === want))) return;
    if (Date.now() > deadline) throw new Error(`${id} was not ${want} everywhere within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Polls until every node at `ports` sees each of `ids` in ring state normal (joins done). */
export async function waitForNormal(ports: readonly number[], ids: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const docs = await Promise.all(ports.map(status)).catch(() => []);
    if (docs.length === ports.length && docs.every((d) => ids.every((id) => d.members.some((m) => m.id === id && m.state === 'normal')))) return;
    if (Date.now() > deadline) throw new Error(`${ids.join(', ')} were not all normal everywhere within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Polls until every node at `ports` sees exactly the `alive` ids alive (and knows `known` members); throws with the last views after timeoutMs. */
export async function waitForViews(ports: readonly number[], alive: readonly string[], known = alive.length, timeoutMs = 20_000): Promise<StatusDoc[]> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const docs = await Promise.all(ports.map(status));
      last = docs;
      const ok = docs.every(
        (d) =>
          d.members.length === known &&
          JSON.stringify(d.members.filter((m) => m.status === 'alive').map((m) => m.id)) === JSON.stringify([...alive].sort()),
      );
      if (ok) return docs;
    } catch (e) {
      last = String(e);
    }
    if (Date.now() > deadline) throw new Error(`views did not converge within ${timeoutMs} ms: ${JSON.stringify(last)}`);
    await sleep(100);
  }
}
