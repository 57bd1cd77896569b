import t from 'tap';
import { UdpTransport } from '../../src/transport/udp.js';
import { MAX_DATAGRAM_BYTES, type PeerAddress } from '../../src/transport/types.js';
import { waitFor } from './helpers.js';

t.test('datagrams go from one socket to another with the sender address', async (t) => {
  const a = await UdpTransport.bind('127.0.0.1', 0);
  const b = await UdpTransport.bind('127.0.0.1', 0);
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const got: Array<[PeerAddress, string]> = [];
  b.onMessage((from, payload) => got.push([from, payload.toString()]));
  a.send(b.address, Buffer.from('ping'));
  await waitFor(() => got.length === 1);
  t.same(got, [[a.address, 'ping']]);
  t.equal(a.errors, 0);
});

t.test('oversized, misaddressed and closed sends are dropped, never thrown', async (t) => {
  const a = await UdpTransport.bind('127.0.0.1', 0);
  a.send({ host: '127.0.0.1', port: 9 }, Buffer.alloc(MAX_DATAGRAM_BYTES + 1));
  t.equal(a.errors, 1);
  a.send({ host: '127.0.0.1', port: 70_000 }, Buffer.from('x'));
  t.equal(a.errors, 2);
  a.send({ host: 'no-such-host.invalid', port: 9 }, Buffer.from('x'));
  await waitFor(() => a.errors === 3);
  await a.close();
  await a.close();
  a.send({ host: '127.0.0.1', port: 9 }, Buffer.from('x'));
  t.equal(a.errors, 4);
});

t.test('binding a port already taken rejects', async (t) => {
  const a = await UdpTransport.bind('127.0.0.1', 0);
  t.teardown(() => a.close());
  await t.rejects(UdpTransport.bind('127.0.0.1', a.address.port));
});

t.test('an IPv6 loopback binds as udp6 when the host supports it', async (t) => {
  let s: UdpTransport;
  try {
    s = await UdpTransport.bind('::1', 0);
  } catch {
    t.pass('no IPv6 here');
    return;
  }
  t.equal(s.address.host, '::1');
  await s.close();
});
