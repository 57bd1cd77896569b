/**
 * The changes made to Redis's tcl harness before it runs, on a temporary copy
 * (tcl/ stays as released). Each edit replaces one exact text and fails
 * loudly when the text is not there, so a re-vendored suite cannot drift
 * silently. They apply to redis-server and QuorumKV runs alike.
 */
export interface HarnessEdit {
  /** Path under tcl/. */
  readonly file: string;
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

export const HARNESS_EDITS: readonly HarnessEdit[] = [
  {
    file: 'tests/support/server.tcl',
    from: '    r flushall\n    r function flush\n',
    to: '    r flushall\n    if {[catch {r function flush} err] && ![string match "*unknown command*" $err]} { error $err }\n',
    why: 'Every start_server block on an external server clears functions; a server without FUNCTION has none to clear.',
  },
  {
    file: 'tests/unit/scripting.tcl',
    from: 'foreach is_eval {0 1} {',
    to: 'foreach is_eval {1} {',
    why: 'Functions are out of scope: run the EVAL pass only, not the pass that repeats each test through FUNCTION LOAD and FCALL.',
  },
];

/** Applies the edits to the files' texts, read and written through the callbacks. */
export function applyHarnessEdits(read: (file: string) => string, write: (file: string, text: string) => void): void {
  for (const edit of HARNESS_EDITS) {
    const text = read(edit.file);
    const at = text.indexOf(edit.from);
    if (at < 0 || text.indexOf(edit.from, at + 1) >= 0) {
      throw new Error(`harness edit does not apply to ${edit.file} (its text must occur exactly once): ${JSON.stringify(edit.from)}`);
    }
    write(edit.file, text.slice(0, at) + edit.to + text.slice(at + edit.from.length));
  }
}
