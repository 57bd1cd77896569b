"""redis-py transactions against a cluster: ENTRY and OTHER are two nodes' ports.

Prints one JSON line per check: {"check", "ok", "expected", "got"}, then {"done": true}.
A change made through OTHER to a key watched through ENTRY must abort EXEC.
"""

import redis

from cluster_checks import check, clients, done


def main():
    r, other, p = clients("pytx")


    def default_pipeline():
        pipe = r.pipeline()
        pipe.set(p + "a", "1").incr(p + "a").get(p + "a").hset(p + "h", "f", "v").sadd(p + "s", "m")
        return pipe.execute()

    check("default pipeline() is MULTI/EXEC", default_pipeline, [True, 2, "2", 1, 1])
    check("its writes are seen through another node", lambda: [other.get(p + "a"), other.hget(p + "h", "f")], ["2", "v"])

    def watched_increment():
        def body(pipe):
            current = int(pipe.get(p + "wx") or 0)
            pipe.multi()
            pipe.set(p + "wx", current + 1)
        r.set(p + "wx", "10")
        return r.transaction(body, p + "wx")

    check("transaction() with WATCH", watched_increment, [True])
    check("its write landed", lambda: other.get(p + "wx"), "11")

    def watch_error():
        with r.pipeline() as pipe:
            pipe.watch(p + "wy")
            other.set(p + "wy", "changed through another node")
            pipe.multi()
            pipe.set(p + "wy", "mine")
            try:
                pipe.execute()
                return "executed"
            except redis.exceptions.WatchError:
                return "WatchError"

    check("WatchError when another node changed the watched key", watch_error, "WatchError")
    check("the other node's write stands", lambda: r.get(p + "wy"), "changed through another node")
    done()


if __name__ == "__main__":
    main()
