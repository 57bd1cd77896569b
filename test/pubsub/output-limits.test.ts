import t from 'tap';
import { classLimitOption, expandClassSyntax, formatClassLimit, INVALID_CLASS, INVALID_VALUE, parseClassLimit, WRONG_ARGUMENTS } from '../../src/config/output-limits.js';
import { OutputLimitTracker } from '../../src/server/output-limit.js';

t.test('class limits parse as Redis writes them', async (t) => {
  t.same(parseClassLimit('32mb 8mb 60'), { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 });
  t.same(parseClassLimit(' 0  0 0 '), { hard: 0, soft: 0, softSeconds: 0 });
  t.equal(parseClassLimit('32mb 8mb'), undefined);
  t.equal(parseClassLimit('32mb 8mb x'), undefined);
  t.equal(parseClassLimit('lots 8mb 60'), undefined);
  t.equal(parseClassLimit('65gb 8mb 60'), undefined);
  t.equal(formatClassLimit({ hard: 1, soft: 2, softSeconds: 3 }), '1 2 3');
  const opt = classLimitOption({ name: 'x', doc: 'd', runtime: 'settable', default: { hard: 1024, soft: 0, softSeconds: 0 } });
  t.equal(opt.defaultDoc, '1kb 0 0');
  t.same(opt.fromJson('1kb 1kb 1'), { hard: 1024, soft: 1024, softSeconds: 1 });
  t.throws(() => opt.fromJson(5), { message: /expected three values/ });
  t.throws(() => opt.parse('1 2'), { message: /got '1 2'/ });
});

t.test("CONFIG SET's class syntax becomes the class options", async (t) => {
  t.equal(expandClassSyntax('64mb'), null, 'a plain size is the normal class hard limit');
  t.same(expandClassSyntax('pubsub 32mb 8mb 60'), [['client-output-buffer-limit-pubsub', '33554432 8388608 60']]);
  t.same(expandClassSyntax('normal 0 0 0 replica 256mb 64mb 60 PUBSUB 1mb 0 0'), [
    ['client-output-buffer-limit', '0'],
    ['client-output-buffer-limit-pubsub', '1048576 0 0'],
  ]);
  t.throws(() => expandClassSyntax('pubsub 1mb 0'), { message: WRONG_ARGUMENTS });
  t.throws(() => expandClassSyntax('master 1mb 0 0'), { message: INVALID_CLASS });
  t.throws(() => expandClassSyntax('pubsub 1mb 0 x'), { message: INVALID_VALUE });
});

t.test('the tracker closes past the hard limit at once and past the soft limit after its seconds', async (t) => {
  const limit = { hard: 1000, soft: 100, softSeconds: 2 };
  const tr = new OutputLimitTracker();
  t.equal(tr.check(50, limit, 0), null);
  t.match(tr.check(1000, limit, 0), /hard limit of 1000/);
  t.equal(tr.check(150, limit, 0), null, 'the soft clock starts');
  t.equal(tr.check(150, limit, 2000), null, 'still within the seconds');
  t.equal(tr.check(50, limit, 2500), null, 'dropping below stops the clock');
  t.equal(tr.check(150, limit, 3000), null, 'it starts again');
  t.match(tr.check(150, limit, 5001), /soft limit of 100 bytes for more than 2 s/);
  t.equal(new OutputLimitTracker().check(1e9, { hard: 0, soft: 0, softSeconds: 0 }, 0), null, '0 turns both off');
});
