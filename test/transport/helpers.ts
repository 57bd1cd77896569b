import { RealClock } from '../../src/core/clock.js';
import { SeededRng } from '../../src/core/rng.js';
import { TcpRpcTransport, type TcpRpcOptions } from '../../src/transport/tcp-rpc.js';
import type { RpcErrorKind, TransportObserver } from '../../src/transport/types.js';

/** An observer that counts every hook, for assertions. */
export class CountingObserver implements TransportObserver {
  latencies: Array<[string, number]> = [];
  errors: Array<[string, RpcErrorKind]> = [];
  inflights: Array<[string, number]> = [];
  auth: Array<[string, string]> = [];
  protocol: Array<[string, string]> = [];

  rpcLatency(peer: string, ms: number): void {
    this.latencies.push([peer, ms]);
  }
  rpcError(peer: string, kind: RpcErrorKind): void {
    this.errors.push([peer, kind]);
  }
  inflight(peer: string, n: number): void {
    this.inflights.push([peer, n]);
  }
  authFailure(remote: string, reason: string): void {
    this.auth.push([remote, reason]);
  }
  protocolError(remote: string, reason: string): void {
    this.protocol.push([remote, reason]);
  }
}

export function tcpNode(nodeId: string, extra: Partial<TcpRpcOptions> = {}): Promise<TcpRpcTransport> {
  return TcpRpcTransport.listen({
    nodeId,
    host: '127.0.0.1',
    port: 0,
    clock: new RealClock(),
    rng: new SeededRng(1),
    ...extra,
  });
}

/** Two nodes that know each other's address. */
export async function tcpPair(
  a: Partial<TcpRpcOptions> = {},
  b: Partial<TcpRpcOptions> = {},
): Promise<[TcpRpcTransport, TcpRpcTransport]> {
  const na = await tcpNode('a', a);
  const nb = await tcpNode('b', b);
  na.setPeerAddress('b', nb.address);
  nb.setPeerAddress('a', na.address);
  return [na, nb];
}

/** Polls cond every few ms until it holds or the time is up. */
export async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
