import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { encodeReply } from '../../resp/index.js';
import { error } from '../../resp/reply.js';
import { ERR_MAXCLIENTS } from '../commands/errors.js';
import type { ClientView, Session } from '../commands/types.js';
import { Connection } from './connection.js';
import type { ConnectionDeps } from './connection.js';
import type { Logger } from './logger.js';

export interface RespServerOptions {
  host: string;
  port: number;
  maxClients(): number;
  /** Password in force, or null: decides protected mode and the initial auth state. */
  requirePass(): string | null;
  protectedMode(): boolean;
  /** Idle seconds after which an authenticated client is closed; 0 = never. */
  idleTimeoutSeconds(): number;
  /** Seconds an unauthenticated client may stay connected when a password is set. */
  unauthTimeoutSeconds(): number;
  now(): number;
  log: Logger;
  connectionDeps: ConnectionDeps;
  onReject(reason: 'maxclients' | 'protected'): void;
  onAccept(): void;
}

const PROTECTED_TEXT =
  "DENIED QuorumKV is running in protected mode because no password is set (--requirepass) and this client is not on the loopback interface. Set a password with --requirepass, or bind to 127.0.0.1 only.";

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** The RESP listener: accepts clients, enforces maxclients and protected mode, tracks connections. */
export class RespServer {
  private readonly server: Server;
  private readonly connections = new Map<number, Connection>();
  /** Refused sockets until their client closes (close() must not wait for one that never does). */
  private readonly refused = new Set<Socket>();
  private nextId = 1;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: RespServerOptions) {
    // Half-open: a client that shuts down its sending side still gets its replies.
    this.server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.accept(socket));
    this.server.on('error', (e) => opts.log.error('RESP listener error', { error: e.message }));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.sweepTimer = setInterval(() => this.sweepIdle(), 1000);
    this.sweepTimer.unref();
    const addr = this.server.address();
    return typeof addr === 'object' && addr ? addr.port : this.opts.port;
  }

  get clientCount(): number {
    return this.connections.size;
  }

  views(): ClientView[] {
    const now = this.opts.now();
    return [...this.connections.values()].map((c) => ({
      session: c.session,
      idleSeconds: Math.max(0, Math.floor((now - c.lastActivity) / 1000)),
      queryBufferBytes: c.queryBufferBytes,
      outputBufferBytes: c.outputBufferBytes,
    }));
  }

  kill(id: number): boolean {
    const c = this.connections.get(id);
    if (!c) return false;
    c.kill();
    return true;
  }

  /** Stops accepting, closes every client. */
  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections.values()) c.kill();
    for (const s of this.refused) s.destroy();
    await closed;
  }

  private accept(socket: Socket): void {
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    socket.on('error', (e) => this.opts.log.debug('client socket error', { addr: remote, error: e.message }));
    if (this.connections.size >= this.opts.maxClients()) {
      this.opts.onReject('maxclients');
      this.refuse(socket, ERR_MAXCLIENTS);
      return;
    }
    const password = this.opts.requirePass();
    if (password === null && this.opts.protectedMode() && !isLoopback(socket.remoteAddress)) {
      this.opts.onReject('protected');
      this.opts.log.warn('refused a non-loopback client in protected mode', { addr: remote });
      this.refuse(socket, PROTECTED_TEXT);
      return;
    }
    this.opts.onAccept();
    const session: Session = {
      id: this.nextId++,
      protocol: 2,
      authenticated: password === null,
      name: '',
      libName: '',
      libVersion: '',
      remoteAddress: remote,
      localAddress: `${socket.localAddress ?? '?'}:${socket.localPort ?? 0}`,
      createdAt: this.opts.now(),
      lastCommand: '',
      closeAfterReply: false,
    };
    const conn = new Connection(socket, session, this.opts.connectionDeps);
    this.connections.set(session.id, conn);
    socket.on('close', () => this.connections.delete(session.id));
  }

  private refuse(socket: Socket, text: string): void {
    this.refused.add(socket);
    socket.on('close', () => this.refused.delete(socket));
    socket.end(encodeReply(error(text), 2));
  }

  private sweepIdle(): void {
    const now = this.opts.now();
    const idle = this.opts.idleTimeoutSeconds() * 1000;
    const unauth = this.opts.unauthTimeoutSeconds() * 1000;
    for (const c of this.connections.values()) {
      const quiet = now - c.lastActivity;
      if (!c.session.authenticated && unauth > 0 && now - c.session.createdAt > unauth) {
        this.opts.log.info('closing a client that did not authenticate in time', { client: c.session.id });
        c.kill();
      } else if (idle > 0 && quiet > idle) {
        c.kill();
      }
    }
  }
}
