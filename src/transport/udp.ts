import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { MAX_DATAGRAM_BYTES, type DatagramHandler, type DatagramTransport, type PeerAddress } from './types.js';

/**
 * Gossip datagrams over a UDP socket (SWIM binds the same port number as peer
 * TCP). Delivery is best effort by contract, so send errors are dropped, not
 * thrown: a lost datagram and a failed send mean the same to SWIM.
 */
export class UdpTransport implements DatagramTransport {
  private handler: DatagramHandler | null = null;
  private closed = false;
  /** Send and socket errors seen, for diagnostics. */
  errors = 0;

  static async bind(host: string, port: number): Promise<UdpTransport> {
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new UdpTransport(socket);
  }

  private constructor(private readonly socket: Socket) {
    socket.on('message', (payload, rinfo) => this.handler?.({ host: rinfo.address, port: rinfo.port }, payload));
    socket.on('error', () => this.errors++);
  }

  get address(): PeerAddress {
    const a = this.socket.address();
    return { host: a.address, port: a.port };
  }

  send(addr: PeerAddress, payload: Buffer): void {
    if (this.closed || payload.length > MAX_DATAGRAM_BYTES) {
      this.errors++;
      return;
    }
    try {
      this.socket.send(payload, addr.port, addr.host, (err) => {
        if (err) this.errors++;
      });
    } catch {
      // A malformed address (bad port) throws at once; to gossip it is one more lost datagram.
      this.errors++;
    }
  }

  onMessage(handler: DatagramHandler): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
