/** The node's options: the declarative list, loading, and the live CONFIG GET/SET view. */
export { HINT_DEFAULTS } from './cluster-options.js';
export { OPTIONS, LOG_LEVELS, camelName, envName, findOption, optionNames, optionsTable } from './options.js';
export type { AnyOption, LogLevel, OptionRow } from './options.js';
export { checkNodeConfig, isLoopback, toNodeConfig, REQUEST_FRAMING_BYTES } from './node-config.js';
export type { ConfigProblem, NodeConfig } from './node-config.js';
export { loadConfig, parseEnv, parseFlags } from './load.js';
export type { Env, ReadFile } from './load.js';
export { RuntimeConfig, setFailed, unknownParameter } from './runtime.js';
export type { ChangeListener, RuntimeParam } from './runtime.js';
export { REDIS_COMPAT_PARAMS } from './redis-compat.js';
export { DEFAULT_MAXMEMORY, FIXED_OVERHEAD, MEMTABLES, MIN_MAXMEMORY, memoryPlan } from './memory-budget.js';
export type { BudgetSettings, MemoryPlan } from './memory-budget.js';
export type { CompatParam } from './redis-compat.js';
export { formatSize, parseBool, parseHostPort, parseSize } from './values.js';
export type { HostPort, OptionSpec, OptionType, RuntimeAccess } from './values.js';
export { globMatchText as globMatch } from '../core/glob.js';
