export { AntiEntropy, ANTI_ENTROPY_DEFAULTS, type AntiEntropyOptions, type AntiEntropyObserver, type AntiEntropyStatus } from './anti-entropy.js';
export { TrackingStore } from './tracking-store.js';
export type { PurgeableStore } from '../storage/forwarding-store.js';
export { isAntiEntropyMessage } from './messages.js';
export type { MergeLocal } from './exchange.js';
