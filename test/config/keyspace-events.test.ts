import t from 'tap';
import { INVALID_EVENT_CLASS, formatKeyspaceEvents, parseKeyspaceEvents } from '../../src/config/keyspace-events.js';
import { ALL, EXPIRED, GENERIC, HASH, KEYEVENT, KEYSPACE, KEY_MISS, NEW, SET, STRING } from '../../src/config/keyspace-flags.js';
import { loadConfig } from '../../src/config/load.js';
import { RuntimeConfig } from '../../src/config/runtime.js';
import { ValueError } from '../../src/config/values.js';

// notify-keyspace-events read and printed as Redis 7 does (notify.c); the
// canonical forms below were read back from redis-server 7.0.15.

t.test('letters parse to their classes; A is every class but m and n', async (t) => {
  t.equal(parseKeyspaceEvents(''), 0);
  t.equal(parseKeyspaceEvents('K'), KEYSPACE);
  t.equal(parseKeyspaceEvents('E'), KEYEVENT);
  t.equal(parseKeyspaceEvents('g$shx'), GENERIC | STRING | SET | HASH | EXPIRED);
  t.equal(parseKeyspaceEvents('A'), ALL);
  t.equal(parseKeyspaceEvents('A') & (KEY_MISS | NEW), 0);
  t.equal(parseKeyspaceEvents('AAKK'), ALL | KEYSPACE, 'repeats are harmless');
  for (const bad of ['q', 'KEa', 'K E', 'k', 'KEA\u00e9']) {
    t.throws(() => parseKeyspaceEvents(bad), new ValueError(INVALID_EVENT_CLASS), JSON.stringify(bad));
  }
});

t.test("the canonical form is Redis's: classes in its order (or A), then K, E, m", async (t) => {
  const canonical: Array<[string, string]> = [
    ['', ''],
    ['KEA', 'AKE'],
    ['KEAn', 'AKE'],
    ['KEAm', 'AKEm'],
    ['gx', 'gx'],
    ['xg', 'gx'],
    ['Ex', 'xE'],
    ['KE$', '$KE'],
    ['Kl', 'lK'],
    ['mnd', 'dnm'],
    ['EK', 'KE'],
    ['Ag$lshzxetd', 'A'],
    ['g$lshzxetdn', 'A'],
    ['hzse$gxlt', 'g$lshzxet'],
  ];
  for (const [given, shown] of canonical) t.equal(formatKeyspaceEvents(parseKeyspaceEvents(given)), shown, `${given} -> ${shown}`);
});

t.test('the option: startup flag, CONFIG SET and CONFIG GET', async (t) => {
  t.equal(loadConfig(['--notify-keyspace-events', 'KEA'], {}, () => '').notifyKeyspaceEvents, ALL | KEYSPACE | KEYEVENT);
  t.throws(() => loadConfig(['--notify-keyspace-events', 'KEQ'], {}, () => ''), /Invalid event class character/);
  const rc = new RuntimeConfig(loadConfig([], {}, () => ''));
  t.equal(rc.get('notify-keyspace-events'), '');
  const seen: number[] = [];
  rc.onChange('notify-keyspace-events', (c) => seen.push(c.notifyKeyspaceEvents));
  rc.set('notify-keyspace-events', 'KEA');
  t.equal(rc.get('notify-keyspace-events'), 'AKE');
  rc.set('notify-keyspace-events', 'EKA');
  t.same(seen, [ALL | KEYSPACE | KEYEVENT], 'the same flags written another way change nothing');
  t.throws(
    () => rc.set('notify-keyspace-events', 'KEz!'),
    { message: "CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'." },
  );
  t.equal(rc.get('notify-keyspace-events'), 'AKE', 'a refused value leaves the setting as it was');
  rc.set('notify-keyspace-events', '');
  t.same(seen, [ALL | KEYSPACE | KEYEVENT, 0]);
});
