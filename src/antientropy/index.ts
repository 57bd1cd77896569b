export { AntiEntropy, type AntiEntropyOptions, type AntiEntropyObserver, type AntiEntropyStatus } from './anti-entropy.js';
export { TrackingStore, type PurgeableStore } from './tracking-store.js';
export { isAntiEntropyMessage } from './messages.js';
export type { MergeLocal } from './exchange.js';
