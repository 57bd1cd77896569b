/**
 * Structured logs: one JSON object per line on stdout, with a time, a level,
 * the node id and an event message, so they can be grepped or shipped as-is.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  setLevel(level: LogLevel): void;
}

export function createLogger(opts: {
  level: LogLevel;
  node?: string;
  write?: (line: string) => void;
  now?: () => number;
}): Logger {
  let min = RANK[opts.level];
  const write = opts.write ?? ((line: string) => process.stdout.write(line));
  const now = opts.now ?? Date.now;
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[level] < min) return;
    const record: Record<string, unknown> = { time: new Date(now()).toISOString(), level, msg };
    if (opts.node) record.node = opts.node;
    if (fields) Object.assign(record, fields);
    write(JSON.stringify(record, jsonSafe) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    setLevel: (level) => {
      min = RANK[level];
    },
  };
}

/** JSON.stringify's replacer: value has been through toJSON already (a Buffer's is {type, data}), so look at the holder's own field. */
function jsonSafe(this: Record<string, unknown>, key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  const original = this[key];
  if (Buffer.isBuffer(original)) return original.toString('latin1');
  return value;
}
