/**
 * Reads test_helper.tcl's report: one line per test, `[ok]: name (n ms)`,
 * `[err]: name in file`, `[exception]: ...`, `[skip]`/`[ignore]` for tests
 * not run, in colour when the terminal allows (escapes are stripped here).
 */
export interface SuiteCounts {
  readonly passed: readonly string[];
  readonly failed: readonly string[];
  /** Errors outside any one test, which end the unit early. */
  readonly exceptions: number;
  /** The unit ran to its end (test_helper printed its summary). */
  readonly finished: boolean;
}

const ANSI = /\x1b\[[0-9;]*m/g;

export function parseSuiteOutput(output: string): SuiteCounts {
  const passed: string[] = [];
  const failed: string[] = [];
  let exceptions = 0;
  let finished = false;
  for (const raw of output.split('\n')) {
    const line = raw.replace(ANSI, '');
    const ok = /^\[ok\]: (.*) \(\d+ ms\)$/.exec(line);
    if (ok) passed.push(ok[1]!);
    const err = /^\[err\]: (.*?)(?: in tests\/.*)?$/.exec(line);
    if (err) failed.push(err[1]!);
    if (line.startsWith('[exception]:')) exceptions++;
    if (/^\[\d+\/\d+ done\]: /.test(line)) finished = true;
  }
  return { passed, failed, exceptions, finished };
}
