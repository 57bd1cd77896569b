import { QkvError, isQkvError } from '../core/errors.js';

/**
 * Why a node refused to keep a hint. A node answers "stored" only for a hint
 * that is durable; one it cannot keep it refuses, and never makes room by
 * dropping hints it already acknowledged.
 *
 * - count_bound:   the target already has --hint-max-per-target hints
 * - byte_bound:    the hint would take the target past --hint-max-bytes-per-target
 * - dc_byte_bound: the hint would take the hints for the target's remote DC, all
 *                  its replicas together, past --dc-hint-max-bytes
 * - storage_error: the write to the engine failed
 * - closed:        the store is closing (the node is stopping)
 */
export type HintRefusalReason = 'count_bound' | 'byte_bound' | 'dc_byte_bound' | 'storage_error' | 'closed';

export const HINT_REFUSAL_REASONS: readonly HintRefusalReason[] = ['count_bound', 'byte_bound', 'dc_byte_bound', 'storage_error', 'closed'];

/**
 * The error code of a refusal. It is what travels to the coordinator (a
 * peer's error keeps its code), so a coordinator tells a refusal from a
 * lost or failed request by the code alone, never by the message.
 */
export const HINT_REFUSED = 'HINTREFUSED';

/** A hint this node did not store; `refusal` says why (the message is for people). */
export class HintRefused extends QkvError {
  constructor(
    readonly refusal: HintRefusalReason,
    readonly target: string,
    detail: string,
  ) {
    super(HINT_REFUSED, `hint for ${target} refused (${refusal}): ${detail}`);
    this.name = 'HintRefused';
  }
}

/** True when a hint was refused, here (a HintRefused) or by a peer (its code). */
export function isHintRefusal(err: unknown): boolean {
  return isQkvError(err) && err.code === HINT_REFUSED;
}
