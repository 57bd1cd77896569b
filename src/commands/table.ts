import { error } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { ERR_UNKNOWN_COMMAND, ERR_UNKNOWN_SUBCOMMAND, ERR_WRONG_ARITY } from './errors.js';
import type { CommandSpec, CommandTable } from './types.js';

/** The command table: lookup by lower-case name, built once from the command groups. */
export function buildTable(groups: ReadonlyArray<readonly CommandSpec[]>): CommandTable {
  const byName = new Map<string, CommandSpec>();
  for (const group of groups) {
    for (const spec of group) {
      if (byName.has(spec.name)) throw new Error(`command '${spec.name}' is defined twice`);
      byName.set(spec.name, spec);
    }
  }
  const all = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    lookup: (name) => byName.get(name),
    all: () => all,
  };
}

/** A request matched to the spec that runs it, with the handler's arguments. */
export interface ResolvedCommand {
  readonly spec: CommandSpec;
  /** The full name as Redis reports it: 'get', or 'client|setname' for subcommands. */
  readonly fullName: string;
  /** Arguments after the command (and subcommand) name. */
  readonly args: readonly Buffer[];
}

/**
 * Finds the spec for a request and checks its arity, answering with Redis's
 * exact texts for unknown commands, unknown subcommands and wrong arity.
 */
export function resolveCommand(table: CommandTable, request: readonly Buffer[]): ResolvedCommand | Reply {
  const name = request[0]!.toString('latin1').toLowerCase();
  const spec = table.lookup(name);
  if (!spec) return error(ERR_UNKNOWN_COMMAND(request[0]!.toString('latin1'), request.slice(1)));
  if (!arityOk(spec.arity, request.length)) return error(ERR_WRONG_ARITY(name));
  if (!spec.subcommands || request.length < 2) return { spec, fullName: name, args: request.slice(1) };
  const subName = request[1]!.toString('latin1').toLowerCase();
  const sub = spec.subcommands.find((s) => s.name === subName);
  if (!sub) return error(ERR_UNKNOWN_SUBCOMMAND(request[1]!.toString('latin1'), name));
  const fullName = `${name}|${subName}`;
  if (!arityOk(sub.arity, request.length)) return error(ERR_WRONG_ARITY(fullName));
  return { spec: sub, fullName, args: request.slice(2) };
}

function arityOk(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

/**
 * The keys a request touches, from the spec's key positions (1-based over the
 * whole request, as in COMMAND INFO). Null for commands without keys.
 */
export function commandKeys(spec: CommandSpec, request: readonly Buffer[]): Buffer[] | null {
  if (spec.firstKey <= 0) return null;
  const last = spec.lastKey < 0 ? request.length + spec.lastKey : spec.lastKey;
  const keys: Buffer[] = [];
  for (let i = spec.firstKey; i <= last && i < request.length; i += Math.max(1, spec.step)) keys.push(request[i]!);
  return keys;
}

/** Shorthand for declaring a spec in the table with Redis's defaults for the rest. */
export function defineCommand(spec: Partial<CommandSpec> & Pick<CommandSpec, 'name' | 'arity' | 'handler'>): CommandSpec {
  return {
    flags: [],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    categories: [],
    summary: '',
    since: '1.0.0',
    group: 'generic',
    ...spec,
  };
}

/** A container command (CLIENT, CONFIG, COMMAND): its handler only runs if no subcommand matched, which cannot happen. */
export function containerHandler(): Reply {
  return error('ERR missing subcommand');
}
