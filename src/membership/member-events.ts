import { sameAddress } from '../transport/types.js';
import type { MemberRecord } from './member-state.js';
import type { MemberEvent } from './swim-options.js';

/** The events a change of one member's record means to listeners, in the order they are told. */
export function changeEvents(cur: MemberRecord | undefined, next: MemberRecord): MemberEvent[] {
  const id = next.info.id;
  if (!cur) return [{ kind: 'added', id }];
  const out: MemberEvent[] = [];
  if (cur.status !== next.status) out.push({ kind: next.status, id });
  // Alive again under a newer incarnation (a restart, or a refuted suspicion) with no status change between.
  else if (next.status === 'alive' && next.info.incarnation > cur.info.incarnation) out.push({ kind: 'alive', id });
  if (cur.info.state !== next.info.state) out.push({ kind: 'state', id });
  const moved = !sameAddress(cur.info.peer, next.info.peer) || !sameAddress(cur.info.address, next.info.address);
  if (moved || cur.info.rack !== next.info.rack || cur.info.dc !== next.info.dc || cur.info.vnodes !== next.info.vnodes) out.push({ kind: 'updated', id });
  return out;
}
