/**
 * Redis's glob matcher (util.c stringmatchlen), byte for byte, for KEYS and
 * SCAN MATCH: '*', '?', '[abc]', '[^a]', '[a-z]' (reversed ranges allowed),
 * '\' escapes, case-sensitive. Bytes compare as C's signed char, as Redis
 * does on x86, so ranges over bytes >= 0x80 behave as they do there.
 *
 * A '*' that fails to match the rest of the pattern anywhere stops every
 * enclosing '*' from retrying (Redis's skipLongerMatches), which keeps
 * patterns like 'a*a*a*a*b' linear instead of exponential; nesting beyond
 * 1000 stars is treated as no match, as Redis does.
 */
const MAX_NESTING = 1000;
const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const CARET = 0x5e;
const DASH = 0x2d;
const BACKSLASH = 0x5c;

export function globMatch(pattern: Buffer, subject: Buffer): boolean {
  return match(pattern, 0, subject, 0, { skipLonger: false }, 0);
}

/** True when the pattern matches every key, so callers can skip matching. */
export function matchesEverything(pattern: Buffer): boolean {
  return pattern.length === 1 && pattern[0] === STAR;
}

interface MatchState {
  skipLonger: boolean;
}

/** C's signed char view of a byte. */
function sc(b: number): number {
  return b > 127 ? b - 256 : b;
}

function match(p: Buffer, pi: number, s: Buffer, si: number, state: MatchState, nesting: number): boolean {
  if (nesting > MAX_NESTING) return false;
  const pEnd = p.length;
  const sEnd = s.length;
  while (pi < pEnd && si < sEnd) {
    const c = p[pi]!;
    if (c === STAR) {
      while (pi + 1 < pEnd && p[pi + 1] === STAR) pi++;
      if (pi + 1 === pEnd) return true;
      while (si < sEnd) {
        if (match(p, pi + 1, s, si, state, nesting + 1)) return true;
        if (state.skipLonger) return false;
        si++;
      }
      state.skipLonger = true;
      return false;
    } else if (c === QUESTION) {
      si++;
    } else if (c === OPEN) {
      const r = matchClass(p, pi + 1, s[si]!);
      if (!r.matched) return false;
      pi = r.end;
      si++;
    } else {
      // A trailing lone backslash matches itself, as in Redis.
      if (c === BACKSLASH && pEnd - pi >= 2) pi++;
      if (p[pi] !== s[si]) return false;
      si++;
    }
    pi++;
    if (si === sEnd) {
      while (pi < pEnd && p[pi] === STAR) pi++;
      break;
    }
  }
  return pi === pEnd && si === sEnd;
}

/**
 * A bracket class starting just after '['; `end` is the index of its closing
 * ']' (or of the last pattern byte when the class is unterminated, which
 * Redis treats as closed at the end of the pattern).
 */
function matchClass(p: Buffer, pi: number, ch: number): { matched: boolean; end: number } {
  const pEnd = p.length;
  const not = p[pi] === CARET;
  if (not) pi++;
  let matched = false;
  for (;;) {
    const left = pEnd - pi;
    if (p[pi] === BACKSLASH && left >= 2) {
      pi++;
      if (p[pi] === ch) matched = true;
    } else if (p[pi] === CLOSE && left > 0) {
      break;
    } else if (left <= 0) {
      pi--;
      break;
    } else if (left >= 3 && p[pi + 1] === DASH) {
      let start = sc(p[pi]!);
      let end = sc(p[pi + 2]!);
      if (start > end) [start, end] = [end, start];
      const c = sc(ch);
      if (c >= start && c <= end) matched = true;
      pi += 2;
    } else if (p[pi] === ch) {
      matched = true;
    }
    pi++;
  }
  return { matched: not ? !matched : matched, end: pi };
}

/** Case-insensitive matching of text, as CONFIG GET matches parameter names (Redis's nocase flag). */
export function globMatchText(pattern: string, subject: string): boolean {
  return globMatch(Buffer.from(pattern.toLowerCase(), 'latin1'), Buffer.from(subject.toLowerCase(), 'latin1'));
}
