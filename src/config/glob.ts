/**
 * Glob patterns as Redis matches CONFIG GET (and KEYS) arguments: `*`, `?`,
 * `[abc]`, `[^a]`, `[a-z]`, and `\` to escape. Case-insensitive, as CONFIG
 * GET is. Matching is linear-ish (one star backtrack point), so no pattern
 * can make it explode.
 */
type Token =
  | { readonly kind: 'star' }
  | { readonly kind: 'any' }
  | { readonly kind: 'char'; readonly c: string }
  | { readonly kind: 'set'; readonly negate: boolean; readonly ranges: ReadonlyArray<readonly [string, string]> };

function tokenize(pattern: string): Token[] {
  const p = pattern.toLowerCase();
  const out: Token[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p[i]!;
    if (c === '*') {
      if (out.at(-1)?.kind !== 'star') out.push({ kind: 'star' });
      i++;
    } else if (c === '?') {
      out.push({ kind: 'any' });
      i++;
    } else if (c === '\\' && i + 1 < p.length) {
      out.push({ kind: 'char', c: p[i + 1]! });
      i += 2;
    } else if (c === '[') {
      i++;
      const negate = p[i] === '^';
      if (negate) i++;
      const ranges: Array<[string, string]> = [];
      // As in Redis, a class runs to the closing ']' or to the end of the pattern.
      while (i < p.length && p[i] !== ']') {
        let lo = p[i]!;
        if (lo === '\\' && i + 1 < p.length) lo = p[++i]!;
        if (p[i + 1] === '-' && i + 2 < p.length && p[i + 2] !== ']') {
          let hi = p[i + 2]!;
          if (hi === '\\' && i + 3 < p.length) hi = p[++i + 2]!;
          ranges.push(lo <= hi ? [lo, hi] : [hi, lo]);
          i += 3;
        } else {
          ranges.push([lo, lo]);
          i++;
        }
      }
      i++; // the ']'
      out.push({ kind: 'set', negate, ranges });
    } else {
      out.push({ kind: 'char', c });
      i++;
    }
  }
  return out;
}

function matchesOne(t: Token, c: string): boolean {
  switch (t.kind) {
    case 'any':
      return true;
    case 'char':
      return t.c === c;
    case 'set':
      return t.ranges.some(([lo, hi]) => c >= lo && c <= hi) !== t.negate;
    default:
      return false;
  }
}

export function globMatch(pattern: string, text: string): boolean {
  const tokens = tokenize(pattern);
  const s = text.toLowerCase();
  let ti = 0;
  let si = 0;
  let starTi = -1;
  let starSi = 0;
  while (si < s.length) {
    const t = tokens[ti];
    if (t?.kind === 'star') {
      starTi = ti++;
      starSi = si;
    } else if (t && matchesOne(t, s[si]!)) {
      ti++;
      si++;
    } else if (starTi >= 0) {
      ti = starTi + 1;
      si = ++starSi;
    } else {
      return false;
    }
  }
  while (tokens[ti]?.kind === 'star') ti++;
  return ti === tokens.length;
}
