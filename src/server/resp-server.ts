import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { encodeReply } from '../../resp/index.js';
import { error } from '../../resp/reply.js';
import { ERR_MAXCLIENTS } from '../commands/errors.js';
import type { ClientView, Session } from '../commands/types.js';
import { Connection } from './connection.js';
import type { ConnectionDeps } from './connection.js';
import type { Logger } from './logger.js';
import { createClientTlsServer, type ClientTlsOptions } from './tls-listener.js';

export interface RespServerOptions {
  host: string;
  /** The plain port, or null when it is off (--port 0 beside --tls-port). */
  port: number | null;
  /** The TLS listener, when --tls-port is set. */
  tls?: ClientTlsOptions;
  maxClients(): number;
  /** The default ACL user is on and needs no password (no requirepass): decides protected mode and the initial auth state. */
  openAccess(): boolean;
  protectedMode(): boolean;
  /** Idle seconds after which an authenticated client is closed; 0 = never. */
  idleTimeoutSeconds(): number;
  /** Seconds an unauthenticated client may stay connected when a password is set. */
  unauthTimeoutSeconds(): number;
  now(): number;
  log: Logger;
  connectionDeps: ConnectionDeps;
  onReject(reason: 'maxclients' | 'protected' | 'tls'): void;
  onAccept(): void;
}

const PROTECTED_TEXT =
  "DENIED QuorumKV is running in protected mode because no password is set (--requirepass) and this client is not on the loopback interface. Set a password with --requirepass, or bind to 127.0.0.1 only.";

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** Where the listeners are bound (null: that listener is off). */
export interface ClientPorts {
  readonly port: number | null;
  readonly tlsPort: number | null;
}

/**
 * The RESP listeners, plain and TLS: accepts clients, enforces maxclients and
 * protected mode, tracks connections. Both listeners feed one set of
 * connections, so limits, CLIENT LIST and metrics see every client alike.
 */
export class RespServer {
  private readonly server: Server | null;
  private readonly tlsServer: TlsServer | null;
  private readonly connections = new Map<number, Connection>();
  /** Refused sockets until their client closes (close() must not wait for one that never does). */
  private readonly refused = new Set<Socket>();
  private nextId = 1;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: RespServerOptions) {
    // Half-open: a client that shuts down its sending side still gets its replies.
    this.server = opts.port === null ? null : createServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.accept(socket));
    this.tlsServer = opts.tls ? createClientTlsServer(opts.tls, opts.log, () => opts.onReject('tls'), (socket) => this.accept(socket)) : null;
    for (const s of [this.server, this.tlsServer]) s?.on('error', (e) => opts.log.error('RESP listener error', { error: e.message }));
  }

  async listen(): Promise<ClientPorts> {
    const port = this.server ? await listenOn(this.server, this.opts.port ?? 0, this.opts.host) : null;
    const tlsPort = this.tlsServer ? await listenOn(this.tlsServer, this.opts.tls!.port, this.opts.host) : null;
    this.sweepTimer = setInterval(() => this.sweepIdle(), 1000);
    this.sweepTimer.unref();
    return { port, tlsPort };
  }

  /** New certificates for TLS clients that connect from now on (CONFIG SET tls-*); connected ones keep theirs. */
  refreshTls(): void {
    if (this.tlsServer && this.opts.tls) this.tlsServer.setSecureContext(this.opts.tls.material());
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
    const closed = [this.server, this.tlsServer].map((s) => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve())));
    for (const c of this.connections.values()) c.kill();
    for (const s of this.refused) s.destroy();
    await Promise.all(closed);
  }

  private accept(socket: Socket): void {
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    socket.on('error', (e) => this.opts.log.debug('client socket error', { addr: remote, error: e.message }));
    if (this.connections.size >= this.opts.maxClients()) {
      this.opts.onReject('maxclients');
      this.refuse(socket, ERR_MAXCLIENTS);
      return;
    }
    const open = this.opts.openAccess();
    if (open && this.opts.protectedMode() && !isLoopback(socket.remoteAddress)) {
      this.opts.onReject('protected');
      this.opts.log.warn('refused a non-loopback client in protected mode', { addr: remote });
      this.refuse(socket, PROTECTED_TEXT);
      return;
    }
    this.opts.onAccept();
    const session: Session = {
      id: this.nextId++,
      protocol: 2,
      authenticated: open,
      name: '',
      libName: '',
      libVersion: '',
      remoteAddress: remote,
      localAddress: `${socket.localAddress ?? '?'}:${socket.localPort ?? 0}`,
      createdAt: this.opts.now(),
      lastCommand: '',
      closeAfterReply: false,
      // Present from the start so the session keeps one shape (connection.ts reads them per command).
      user: undefined,
      aclUser: undefined,
      aclGeneration: undefined,
      currentArgv: undefined,
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

/** Binds server (plain, TLS or HTTP) and resolves with its port (the one picked when 0 was asked). */
export function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}
