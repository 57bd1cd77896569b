import t, { type Test } from 'tap';
import { dynamoCommands } from '../../src/commands/dynamo.js';
import { collectionCommands, dataCommands } from '../support/command-harness.js';
import type { CommandSpec } from '../../src/commands/types.js';
import { redisCollectionInfo } from './redis-collection-info.js';
import { redisCommandInfo } from './redis-command-info.js';

t.test('every data command is declared once', async (t) => {
  const names = dataCommands.map((s) => s.name);
  t.equal(new Set(names).size, names.length);
  for (const name of names) t.equal(name, name.toLowerCase());
});

function sameAsRedis(t: Test, specs: readonly CommandSpec[], info: typeof redisCommandInfo): void {
  for (const [name, arity, flags, firstKey, lastKey, step, categories, summary, since, group] of info) {
    const spec = specs.find((s) => s.name === name);
    if (!spec) {
      t.fail(`missing ${name}`);
      continue;
    }
    t.same(
      { arity: spec.arity, flags: spec.flags, firstKey: spec.firstKey, lastKey: spec.lastKey, step: spec.step, categories: spec.categories },
      { arity, flags, firstKey, lastKey, step, categories },
      name,
    );
    t.same({ summary: spec.summary, since: spec.since, group: spec.group }, { summary, since, group }, `${name} docs`);
  }
}

t.test('metadata is what Redis 7 reports in COMMAND INFO and COMMAND DOCS', async (t) => {
  sameAsRedis(t, dataCommands, redisCommandInfo);
  t.equal(dataCommands.length, redisCommandInfo.length + dynamoCommands.length, 'nothing else but the Dynamo commands');
});

t.test('hash and set metadata is what Redis 7 reports too', async (t) => {
  sameAsRedis(t, collectionCommands, redisCollectionInfo);
  t.same(
    collectionCommands.map((s) => s.name).filter((n) => !redisCollectionInfo.some(([name]) => name === n)),
    ['qhget'],
    'QHGET is the one of QuorumKV own',
  );
});

t.test('the Dynamo commands declare their key and a write or readonly flag', async (t) => {
  for (const spec of dynamoCommands) {
    t.equal(spec.firstKey, 1, spec.name);
    t.ok(spec.flags.includes('write') !== spec.flags.includes('readonly'), spec.name);
    t.ok(spec.summary.length > 0);
    t.equal(spec.group, 'dynamo');
  }
});
