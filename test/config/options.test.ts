import t from 'tap';
import { OPTIONS, camelName, envName, findOption, optionNames, optionsTable } from '../../src/config/options.js';
import { isLoopback } from '../../src/config/node-config.js';

t.test('names, env names and field names', async (t) => {
  t.equal(envName('max-value-bytes'), 'QKV_MAX_VALUE_BYTES');
  t.equal(envName('n'), 'QKV_N');
  t.equal(camelName('max-value-bytes'), 'maxValueBytes');
  t.equal(camelName('port'), 'port');
  t.equal(findOption('PORT')?.name, 'port');
  t.equal(findOption('nope'), undefined);
  const names = optionNames();
  t.equal(new Set(names).size, names.length, 'no duplicates');
  for (const n of names) t.match(n, /^[a-z][a-z0-9-]*$/, `${n} is kebab-case`);
  for (const spec of ['port', 'bind', 'data-dir', 'node-id', 'peer-port', 'seeds', 'rack', 'dc', 'vnodes', 'n', 'r', 'w', 'requirepass', 'cluster-secret', 'max-value-bytes', 'max-key-bytes', 'sync', 'metrics-port', 'config']) {
    t.ok(names.includes(spec), `spec option ${spec}`);
  }
});

t.test('the docs table: one row per option, each documented', async (t) => {
  const rows = optionsTable();
  t.equal(rows.length, OPTIONS.length);
  const byName = new Map(rows.map((r) => [r.name, r]));
  t.same(byName.get('max-value-bytes'), {
    name: 'max-value-bytes',
    flag: '--max-value-bytes',
    type: 'size',
    default: '1048576',
    env: 'QKV_MAX_VALUE_BYTES',
    runtime: 'settable',
    doc: 'Largest value a write accepts; larger ones get an error and nothing is stored.',
  });
  t.equal(byName.get('peer-port')?.default, 'port + 10000');
  t.equal(byName.get('node-id')?.default, 'random, persisted in the data dir');
  t.equal(byName.get('sync')?.default, 'no', 'bools print as yes/no');
  t.equal(byName.get('protected-mode')?.default, 'yes');
  t.equal(byName.get('client-query-buffer-limit')?.default, '1gb');
  t.equal(byName.get('metrics-port')?.default, 'off');
  t.equal(byName.get('cluster-secret')?.runtime, 'hidden');
  for (const r of rows) {
    t.ok(r.doc.length > 10 && !r.doc.includes('\n'), `${r.name} has a one-line doc`);
    t.ok(['settable', 'read-only', 'hidden'].includes(r.runtime));
  }
});

t.test('every default parses back to itself', async (t) => {
  for (const o of OPTIONS) {
    if (o.default === null) continue;
    t.equal(o.format(o.parse(o.format(o.default))), o.format(o.default), o.name);
  }
});

t.test('loopback addresses', async (t) => {
  for (const a of ['127.0.0.1', '127.255.0.1', '::1', '0:0:0:0:0:0:0:1', 'LOCALHOST', '::ffff:127.0.0.1']) t.ok(isLoopback(a), a);
  for (const a of ['0.0.0.0', '10.0.0.1', '::', 'example.com', '::ffff:10.0.0.1', '128.0.0.1']) t.notOk(isLoopback(a), a);
});

t.test('the module index exports the public API', async (t) => {
  const api = await import('../../src/config/index.js');
  for (const name of ['loadConfig', 'RuntimeConfig', 'optionsTable', 'OPTIONS', 'checkNodeConfig', 'globMatch', 'parseSize', 'REDIS_COMPAT_PARAMS']) {
    t.ok(name in api, name);
  }
});
