/**
 * Splits an inline request line into arguments the way Redis's sdssplitargs
 * does, byte for byte:
 *  - blanks between arguments are any of ' ' \t \n \v \f \r, but an unquoted
 *    argument ends only at ' ' \t \n \r (a \v or \f inside one is kept);
 *  - "double quotes" take \n \r \t \b \a escapes, \xHH with two hex digits,
 *    and backslash before anything else gives that character;
 *  - 'single quotes' take only \' as an escape;
 *  - quotes may start inside an argument (a"b c" is `ab c`), and a closing
 *    quote must be followed by a blank or the end of the line;
 *  - a quote left open, or a closing quote followed by anything else, is
 *    "unbalanced quotes" (null here).
 * The line holds no NUL byte (the parser never completes such a line, as
 * Redis never does), so none is treated specially.
 */
export function splitInlineArgs(line: Uint8Array, start: number, end: number): Buffer[] | null {
  const out: Buffer[] = [];
  let p = start;
  for (;;) {
    while (p < end && isBlank(line[p]!)) p++;
    if (p >= end) return out;
    const tokenStart = p;
    // The common case: a bare word, copied in one go.
    while (p < end && !endsBareWord(line[p]!)) p++;
    if (p >= end || !isQuote(line[p]!)) {
      out.push(Buffer.from(line.subarray(tokenStart, p)));
      if (p < end) p++;
      continue;
    }
    const bytes: number[] = [];
    for (let k = tokenStart; k < p; k++) bytes.push(line[k]!);
    p = quotedToken(line, p, end, bytes);
    if (p < 0) return null;
    out.push(Buffer.from(bytes));
  }
}

/**
 * Reads the quoted part of an argument, from its opening quote at `p`,
 * appending its bytes; returns the position after the closing quote, or -1
 * for unbalanced quotes. The argument ends there.
 */
function quotedToken(line: Uint8Array, p: number, end: number, bytes: number[]): number {
  const double = line[p] === 0x22;
  const quote = double ? 0x22 : 0x27;
  for (p++; p < end; ) {
    const c = line[p]!;
    if (double && c === 0x5c && p + 3 < end && line[p + 1] === 0x78 && isHex(line[p + 2]!) && isHex(line[p + 3]!)) {
      bytes.push(hexValue(line[p + 2]!) * 16 + hexValue(line[p + 3]!));
      p += 4;
    } else if (double && c === 0x5c && p + 1 < end) {
      bytes.push(unescape(line[p + 1]!));
      p += 2;
    } else if (!double && c === 0x5c && p + 1 < end && line[p + 1] === 0x27) {
      bytes.push(0x27);
      p += 2;
    } else if (c === quote) {
      // A closing quote must be followed by a blank or the end of the line.
      return p + 1 < end && !isBlank(line[p + 1]!) ? -1 : p + 1;
    } else {
      bytes.push(c);
      p++;
    }
  }
  return -1;
}

/** C's isspace in the C locale. */
function isBlank(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isQuote(c: number): boolean {
  return c === 0x22 || c === 0x27;
}

function endsBareWord(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x22 || c === 0x27;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10;
}

function unescape(c: number): number {
  switch (c) {
    case 0x6e: return 0x0a; // n
    case 0x72: return 0x0d; // r
    case 0x74: return 0x09; // t
    case 0x62: return 0x08; // b
    case 0x61: return 0x07; // a
    default: return c;
  }
}
