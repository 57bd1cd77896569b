export * from './types.js';
export * from './clock.js';
export * from './object.js';
export * from './codec.js';
export * from './prune.js';
export * from './actor.js';
export * from './divergence.js';
