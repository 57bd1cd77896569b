import t from 'tap';
import { PubSubRegistry, Subscriber, type Delivery } from '../../src/pubsub/registry.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function subscriber(): { sub: Subscriber; got: string[] } {
  const got: string[] = [];
  const show = (d: Delivery): string =>
    d.kind === 'pmessage' ? `pmessage ${d.pattern.toString('latin1')} ${d.channel.toString('latin1')} ${d.message.toString('latin1')}` : `${d.kind} ${d.channel.toString('latin1')} ${d.message.toString('latin1')}`;
  return { sub: new Subscriber((d) => got.push(show(d))), got };
}

t.test('channel subscribers get each message once; the count is receivers on this node', async (t) => {
  const r = new PubSubRegistry();
  const a = subscriber();
  const c = subscriber();
  t.equal(r.add('channels', a.sub, b('news')), true);
  t.equal(r.add('channels', a.sub, b('news')), false, 'subscribing twice keeps one subscription');
  r.add('channels', c.sub, b('news'));
  t.equal(r.publish(b('news'), b('hi')), 2);
  t.equal(r.publish(b('other'), b('x')), 0);
  t.same(a.got, ['message news hi']);
  t.same(c.got, ['message news hi']);
  t.equal(r.subscriberCount('channels', b('news')), 2);
  t.equal(r.subscriberCount('channels', b('none')), 0);
  t.equal(a.sub.count, 1);
  t.equal(a.sub.subscribed, true);
});

t.test('patterns use Redis glob rules, and a client subscribed both ways gets both messages', async (t) => {
  const r = new PubSubRegistry();
  const a = subscriber();
  r.add('patterns', a.sub, b('news.*'));
  r.add('patterns', a.sub, b('n[aeiou]ws.?'));
  r.add('patterns', a.sub, b('x\\*'));
  r.add('channels', a.sub, b('news.a'));
  t.equal(r.publish(b('news.a'), b('1')), 3);
  t.equal(r.publish(b('x*'), b('2')), 1, 'an escaped star matches a star only');
  t.equal(r.publish(b('xy'), b('3')), 0);
  t.same(a.got, ['message news.a 1', 'pmessage news.* news.a 1', 'pmessage n[aeiou]ws.? news.a 1', 'pmessage x\\* x* 2']);
  t.equal(r.patternCount, 3);
  t.equal(a.sub.count, 4);
});

t.test('binary channel names stay exact', async (t) => {
  const r = new PubSubRegistry();
  const a = subscriber();
  const name = Buffer.from([0xff, 0x00, 0x41]);
  r.add('channels', a.sub, name);
  t.equal(r.publish(Buffer.from([0xff, 0x00, 0x41]), b('m')), 1);
  t.equal(r.publish(Buffer.from([0xff, 0x00]), b('m')), 0);
  t.same(r.activeChannels('channels'), [name]);
});

t.test('shard channels are apart from channels', async (t) => {
  const r = new PubSubRegistry();
  const a = subscriber();
  r.add('shardChannels', a.sub, b('s1'));
  t.equal(r.publish(b('s1'), b('m')), 0, 'PUBLISH does not reach shard subscribers');
  t.equal(r.publishShard(b('s1'), b('m')), 1);
  t.equal(r.publishShard(b('s2'), b('m')), 0);
  t.same(a.got, ['smessage s1 m']);
  t.equal(a.sub.count, 0, 'the channel+pattern count leaves shard channels out');
  t.equal(a.sub.subscribed, true);
  t.equal(r.shardChannelCount, 1);
  t.equal(r.subscriberCount('shardChannels', b('s1')), 1);
  t.same(r.activeChannels('shardChannels', b('s*')), [b('s1')]);
});

t.test('unsubscribing and removeAll leave no empty entries', async (t) => {
  const r = new PubSubRegistry();
  const a = subscriber();
  const c = subscriber();
  r.add('channels', a.sub, b('one'));
  r.add('channels', a.sub, b('two'));
  r.add('channels', c.sub, b('two'));
  r.add('patterns', a.sub, b('*'));
  r.add('shardChannels', a.sub, b('s'));
  t.equal(r.remove('channels', a.sub, b('nope')), false);
  t.equal(r.remove('channels', a.sub, b('one')), true);
  t.same(r.activeChannels('channels').map(String), ['two']);
  t.same(r.activeChannels('channels', b('o*')), []);
  r.removeAll(a.sub);
  t.equal(a.sub.subscribed, false);
  t.equal(r.patternCount, 0);
  t.equal(r.shardChannelCount, 0);
  t.equal(r.channelCount, 1, 'the other client keeps its channel');
  t.equal(r.publish(b('two'), b('m')), 1);
  r.removeAll(c.sub);
  t.equal(r.channelCount, 0);
});

t.test('a subscriber that unsubscribes while a message is delivered does not break the delivery to others', async (t) => {
  const r = new PubSubRegistry();
  const got: string[] = [];
  let first!: Subscriber;
  first = new Subscriber(() => {
    got.push('first');
    r.removeAll(first);
  });
  const second = new Subscriber(() => got.push('second'));
  r.add('channels', first, b('c'));
  r.add('channels', second, b('c'));
  r.publish(b('c'), b('m'));
  t.same(got, ['first', 'second']);
  r.publish(b('c'), b('m'));
  t.same(got, ['first', 'second', 'second']);
});
