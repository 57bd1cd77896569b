/** The transport module: peer RPC and gossip datagrams, over sockets or in memory. */
export * from './types.js';
export { encodeMessage, decodeMessage, copyMessage } from './codec.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { TcpRpcTransport, type TcpRpcOptions } from './tcp-rpc.js';
export type { PeerTls } from './peer-tls.js';
export { UdpTransport } from './udp.js';
export {
  MemoryNetwork,
  type MemoryNetworkOptions,
  type MemoryEndpoint,
  type MemoryEndpointOptions,
  type LinkFaults,
  type NetworkEvent,
  type MessageKind,
  type DropReason,
} from './memory-network.js';
export { MemoryRpcTransport, MemoryDatagramTransport } from './memory-endpoint.js';
