import type { Socket } from 'node:net';
import { createServer, type SecureContextOptions, type Server, type TLSSocket } from 'node:tls';
import type { TlsAuthClients } from '../config/tls-options.js';
import type { Logger } from './logger.js';

/**
 * The client TLS listener (--tls-port). Client certificates are always
 * asked for and checked here, not by OpenSSL, so that tls-auth-clients can
 * change at run time: yes refuses a client without a valid certificate,
 * optional refuses only an invalid one, no takes every client. A client that
 * speaks plain text, or never finishes the handshake, is dropped by the TLS
 * layer before it reaches the RESP code.
 */
export interface ClientTlsOptions {
  readonly port: number;
  /** The material in force (tls-context.ts). */
  material(): SecureContextOptions;
  authClients(): TlsAuthClients;
}

/** A TLS handshake must finish within this, so silent or plain-text clients cannot hold sockets. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Why a client that finished the handshake is refused, or null to serve it. */
export function certificateRefusal(socket: TLSSocket, mode: TlsAuthClients): string | null {
  if (mode === 'no' || socket.authorized) return null;
  const presented = Object.keys(socket.getPeerCertificate()).length > 0;
  if (!presented) return mode === 'yes' ? 'no client certificate (tls-auth-clients yes)' : null;
  return `client certificate refused: ${String(socket.authorizationError)}`;
}

export function createClientTlsServer(
  opts: ClientTlsOptions,
  log: Logger,
  onRefused: () => void,
  onClient: (socket: Socket) => void,
): Server {
  const server = createServer(
    { ...opts.material(), requestCert: true, rejectUnauthorized: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS, allowHalfOpen: true },
    (socket) => {
      const refusal = certificateRefusal(socket, opts.authClients());
      if (refusal === null) return onClient(socket);
      onRefused();
      log.info('refused a TLS client', { addr: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`, reason: refusal });
      socket.destroy();
    },
  );
  server.on('tlsClientError', (err, socket) => {
    onRefused();
    log.debug('TLS handshake failed', { addr: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`, error: err.message });
    socket.destroy();
  });
  return server;
}
