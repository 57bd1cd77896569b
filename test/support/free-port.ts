import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

/**
 * Free loopback ports for servers started by tests and benchmarks. Ports are
 * drawn at random below the kernel's ephemeral range and checked by binding:
 * a port from inside that range, once its server stops, can be taken by any
 * outgoing connection as its local port, and a node restarted on its old port
 * then fails with EADDRINUSE. Numbers handed out by this process are
 * remembered so two callers in one process never get the same one.
 */

const HOST = '127.0.0.1';
const handedOut = new Set<number>();
const LOWEST = 10000;
const ABOVE = ephemeralStart();

/** First port of the kernel's ephemeral range (Linux default 32768). */
function ephemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > LOWEST + 1000 ? first : 32768;
  } catch {
    return 32768;
  }
}

/** A random candidate port below the ephemeral range, free right now for TCP. */
async function candidate(count = 1): Promise<number | null> {
  const port = LOWEST + Math.floor(Math.random() * (ABOVE - LOWEST - count));
  return bindTcp(port);
}

function bindTcp(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(null));
    server.listen({ port, host: HOST, exclusive: true }, () => {
      const addr = server.address();
      const bound = typeof addr === 'object' && addr !== null ? addr.port : null;
      server.close(() => resolve(bound));
    });
  });
}

function bindUdp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.unref();
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind({ port, address: HOST, exclusive: true }, () => {
      sock.close(() => resolve(true));
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await candidate();
    if (port !== null && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free TCP port on 127.0.0.1 after 50 attempts');
}

/** A port free for both TCP and UDP on 127.0.0.1 (a peer port: peer RPC and gossip share it). */
export async function freeTcpUdpPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await candidate();
    if (port === null || handedOut.has(port)) continue;
    if (await bindUdp(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no port free for both TCP and UDP on 127.0.0.1 after 50 attempts');
}

/**
 * `count` consecutive ports, each free for TCP (and UDP when `udp` is set),
 * e.g. for a cluster given only a base port. Returns the first.
 */
export async function freePortRange(count: number, udp = false): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await candidate(count);
    if (base === null) continue;
    let ok = true;
    for (let p = base; p < base + count && ok; p++) {
      if (handedOut.has(p)) ok = false;
      else if (p !== base && (await bindTcp(p)) === null) ok = false;
      else if (udp && !(await bindUdp(p))) ok = false;
    }
    if (ok) {
      for (let p = base; p < base + count; p++) handedOut.add(p);
      return base;
    }
  }
  throw new Error(`no ${count} consecutive free ports on 127.0.0.1 after 50 attempts`);
}
