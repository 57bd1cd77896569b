export * from './types.js';
export { vnodeToken, nodeTokens, type TokenOf } from './tokens.js';
export { Ring, type RingOptions } from './ring.js';
export { diffRings } from './diff.js';
