import t from 'tap';
import { parseKeyspaceEvents } from '../../src/config/keyspace-events.js';
import { KeyspaceNotifier, type Publisher } from '../../src/pubsub/keyspace-notifier.js';

// The notifier publishes what notify-keyspace-events asks for, and builds nothing when it asks for nothing.

function recorder(): Publisher & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    publish(channel, message) {
      sent.push(`${channel.toString('latin1')} ${message.toString('latin1')}`);
      return 0;
    },
  };
}

t.test('K and E choose the channels; the letters choose the classes', async (t) => {
  const pub = recorder();
  const n = new KeyspaceNotifier(pub);
  const key = Buffer.from([0x6b, 0xff, 0x00]);
  n.notify('string', 'set', key);
  t.same(pub.sent, [], "'' publishes nothing");
  n.flags = parseKeyspaceEvents('KEA');
  n.notify('string', 'set', key);
  t.same(pub.sent, ['__keyspace@0__:k\u00ff\u0000 set', '__keyevent@0__:set k\u00ff\u0000'], 'keyspace first, then keyevent; the key byte for byte');
  pub.sent.length = 0;
  n.flags = parseKeyspaceEvents('Kh');
  n.notify('hash', 'hdel', Buffer.from('h'));
  n.notify('generic', 'del', Buffer.from('h'));
  t.same(pub.sent, ['__keyspace@0__:h hdel'], 'only hash events, only on the keyspace channel');
  pub.sent.length = 0;
  n.flags = parseKeyspaceEvents('Ex');
  n.notify('expired', 'expired', Buffer.from('t'));
  n.notify('set', 'sadd', Buffer.from('t'));
  t.same(pub.sent, ['__keyevent@0__:expired t']);
});

t.test('enabled() and wants() say whether a class would be published at all', async (t) => {
  const n = new KeyspaceNotifier(recorder());
  t.notOk(n.wants('generic'));
  t.notOk(n.enabled());
  n.flags = parseKeyspaceEvents('A');
  t.notOk(n.wants('generic'), 'classes without K or E publish nothing');
  t.notOk(n.enabled());
  n.flags = parseKeyspaceEvents('Eg');
  t.ok(n.enabled());
  t.ok(n.wants('generic'));
  t.notOk(n.wants('set'));
});
