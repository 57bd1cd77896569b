import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { AclLog } from '../acl/acl-log.js';
import { AclStore } from '../acl/acl-store.js';
import { aclCatalog } from '../commands/acl-guard.js';
import type { AclApi, CommandTable } from '../commands/types.js';
import type { Logger } from './logger.js';

/**
 * The node's ACL with its file (--aclfile): the users start as the default
 * user with requirepass's password, then the file's users replace them
 * (a file that does not parse stops the start, as in Redis). ACL SAVE
 * writes a temp file and renames it over the file; ACL LOAD changes
 * nothing when the file is wrong. Only this node's file is read or
 * written; other nodes get the users by ACL sync (src/acl/acl-sync.ts).
 */

export const ERR_NO_ACLFILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';
export const ERR_ACL_SAVE = 'ERR There was an error trying to save the ACLs. Please check the server logs for more information';

export interface AclWiringOptions {
  readonly table: CommandTable;
  readonly nodeId: string;
  readonly now: () => number;
  readonly requirepass: string | null;
  readonly aclfile: string | null;
  readonly log: Logger;
}

export async function createAcl(o: AclWiringOptions): Promise<AclApi> {
  const store = new AclStore(aclCatalog(o.table), o.nodeId, o.now);
  store.setRequirePass(o.requirepass, false);
  const file = o.aclfile;
  if (file !== null) {
    const text = await readAclFile(file);
    // The file's time is the state's version: changes made in the cluster after it was saved win over it.
    const mtime = Math.floor((await stat(file)).mtimeMs);
    store.loadText(text, file, 'start', { at: mtime, node: o.nodeId });
    o.log.info('ACL users loaded', { file, users: store.names().length });
  }
  return {
    store,
    log: new AclLog(),
    file,
    async save() {
      if (file === null) throw new Error(ERR_NO_ACLFILE);
      const tmp = `${file}.tmp-${process.pid}`;
      try {
        await writeFile(tmp, store.toText(), { mode: 0o600 });
        await rename(tmp, file);
      } catch (e) {
        o.log.warn('ACL SAVE failed', { file, error: e instanceof Error ? e.message : String(e) });
        throw new Error(ERR_ACL_SAVE);
      }
    },
    async load() {
      if (file === null) throw new Error(ERR_NO_ACLFILE);
      store.loadText(await readAclFile(file), file, 'local');
    },
  };
}

async function readAclFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : e instanceof Error ? e.message : String(e);
    throw new Error(`ERR Error loading ACLs, opening file '${file}': ${why}`);
  }
}
