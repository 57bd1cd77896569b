import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (works from src/ via tsx and from dist/). */
function readVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'quorumkv' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

export const QUORUMKV_VERSION = readVersion();

/** The Redis version clients are told (HELLO, INFO): the command set and reply shapes follow Redis 7.2. */
export const REDIS_COMPAT_VERSION = '7.2.0';
