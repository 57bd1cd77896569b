"""redis-py Pub/Sub: subscribe through ENTRY, publish through OTHER (the same
node, or another node of a cluster). Prints one JSON line per check, then
{"done": true}.
"""

import time

from cluster_checks import check, clients, done


def next_message(ps, timeout=10.0):
    """The next message (not a subscription answer), or None after timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = ps.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if m is not None:
            return m
    return None


def publish_until_heard(other, ps, channel, data):
    """Publishes until the subscriber hears it: a cluster's nodes learn of each other by gossip, so the first may precede it."""
    deadline = time.time() + 15.0
    while time.time() < deadline:
        other.publish(channel, data)
        m = next_message(ps, timeout=1.0)
        if m is not None:
            # Drain copies published while waiting.
            while ps.get_message(ignore_subscribe_messages=True, timeout=0.3) is not None:
                pass
            return m
    return None


def main():
    r, other, p = clients("pyps")
    ps = r.pubsub()
    ps.subscribe(p + "news")
    check("subscribe answer", lambda: ps.get_message(timeout=5.0), {"type": "subscribe", "pattern": None, "channel": p + "news", "data": 1})
    m = publish_until_heard(other, ps, p + "news", "hello")
    check("a message published through the other node arrives", lambda: m, {"type": "message", "pattern": None, "channel": p + "news", "data": "hello"})

    ps.psubscribe(p + "ev.*")
    check("psubscribe answer", lambda: ps.get_message(timeout=5.0), {"type": "psubscribe", "pattern": None, "channel": p + "ev.*", "data": 2})
    other.publish(p + "ev.created", "one")
    check("a pattern message arrives", lambda: next_message(ps), {"type": "pmessage", "pattern": p + "ev.*", "channel": p + "ev.created", "data": "one"})

    def in_order():
        for i in range(20):
            other.publish(p + "news", str(i))
        return [next_message(ps)["data"] for _ in range(20)]

    check("messages from one publisher arrive once each, in order", in_order, [str(i) for i in range(20)])
    check("PUBSUB NUMSUB on the subscriber's node", lambda: r.pubsub_numsub(p + "news"), [(p + "news", 1)])
    check("PUBSUB NUMPAT", lambda: r.pubsub_numpat() >= 1, True)

    seen = []
    thread = r.pubsub()
    thread.subscribe(**{p + "cb": lambda m: seen.append(m["data"])})
    worker = thread.run_in_thread(sleep_time=0.05)
    try:
        time.sleep(0.3)
        other.publish(p + "cb", "via-thread")
        deadline = time.time() + 10
        while not seen and time.time() < deadline:
            time.sleep(0.05)
        check("run_in_thread handler gets the message", lambda: seen, ["via-thread"])
    finally:
        worker.stop()

    ps.unsubscribe()
    ps.punsubscribe()
    check("unsubscribe answers", lambda: sorted(m["type"] for m in [ps.get_message(timeout=5.0), ps.get_message(timeout=5.0)]), ["punsubscribe", "unsubscribe"])
    check("nothing is delivered after unsubscribing", lambda: (other.publish(p + "news", "late"), next_message(ps, 1.0))[1], None)
    ps.close()
    done()


main()
