import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, connect as connectTls, type SecureContextOptions, type Server as TlsServer } from 'node:tls';
import type { PeerAddress, TransportObserver } from './types.js';

/**
 * Peer TCP in the clear or over mutual TLS (--tls-cluster). With TLS each
 * node presents its certificate as server and as client, and both sides
 * accept only a certificate that chains to the configured CA. Peers dial
 * addresses, often bare IPs, that their certificates need not name: the
 * chain to the private CA is the check, not the host name (as Redis's
 * cluster bus does). The handshake of handshake.ts runs inside the tunnel.
 */
export interface PeerTls {
  /** Certificate, key, CA, protocol range and ciphers in force (re-read on CONFIG SET). */
  options(): SecureContextOptions;
}

/** A TLS handshake must finish within this, so a silent or plain-text dialer is dropped. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** The listener for peer connections: onSocket gets each one (for TLS, once its handshake verified the peer). */
export function peerListener(tls: PeerTls | null, observer: TransportObserver | undefined, onSocket: (socket: Socket) => void): Server {
  if (tls === null) return createServer(onSocket);
  const server: TlsServer = createTlsServer({ ...tls.options(), requestCert: true, rejectUnauthorized: true, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS });
  server.on('secureConnection', onSocket);
  // A peer without a certificate from the CA (or a plain-text dialer) ends here: counted, never served.
  server.on('tlsClientError', (err, socket) => {
    observer?.authFailure?.(`${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`, `TLS: ${err.message}`);
    socket.destroy();
  });
  return server;
}

/** Swaps the listener's certificates for new connections; open ones keep theirs. */
export function refreshPeerListener(server: Server, tls: PeerTls | null): void {
  if (tls !== null && 'setSecureContext' in server) (server as TlsServer).setSecureContext(tls.options());
}

/** Opens a connection to a peer; with TLS, writes queue until the tunnel is up and a bad server certificate fails the socket. */
export function dialPeer(addr: PeerAddress, tls: PeerTls | null): Socket {
  if (tls === null) return connectTcp({ host: addr.host, port: addr.port });
  return connectTls({ host: addr.host, port: addr.port, ...tls.options(), checkServerIdentity: () => undefined });
}

