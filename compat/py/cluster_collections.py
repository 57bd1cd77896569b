"""redis-py hashes and sets against a cluster: ENTRY and OTHER are two nodes' ports.

Prints one JSON line per check: {"check", "ok", "expected", "got"}, then {"done": true}.
What is written through one node is read through the other; increments of one
field and adds of distinct members through both nodes all count.
"""

import redis

from cluster_checks import check, clients, done



def main():
    r, other, p = clients("pycoll")


    user = {"name": "ada", "lang": "en", "visits": "0"}
    check("hset mapping", lambda: r.hset(p + "user", mapping=user), 3)
    check("hgetall through another node is the same dict", lambda: other.hgetall(p + "user"), user)

    def increments():
        for client in (r, other):
            pipe = client.pipeline(transaction=False)
            for _ in range(100):
                pipe.hincrby(p + "user", "visits", 1)
            pipe.execute()
        return [r.hget(p + "user", "visits"), other.hget(p + "user", "visits")]

    check("hincrby through both nodes counts every increment", increments, ["200", "200"])

    def fields_from_both():
        r.hset(p + "user", mapping={"from-entry-%d" % i: str(i) for i in range(50)})
        other.hset(p + "user", mapping={"from-other-%d" % i: str(i) for i in range(50)})
        return [r.hlen(p + "user"), other.hlen(p + "user")]

    check("fields written through both nodes are all there", fields_from_both, [103, 103])

    def members_from_both():
        pa = r.pipeline(transaction=False)
        pb = other.pipeline(transaction=False)
        for i in range(100):
            pa.sadd(p + "tags", "entry-%d" % i)
            pb.sadd(p + "tags", "other-%d" % i)
        pa.execute()
        pb.execute()
        return other.smembers(p + "tags")

    check("sadd through both nodes: smembers has every member",
          members_from_both, {"entry-%d" % i for i in range(100)} | {"other-%d" % i for i in range(100)})
    check("srem through one node is seen through the other",
          lambda: [r.srem(p + "tags", "entry-0", "other-0"), other.sismember(p + "tags", "entry-0"), other.scard(p + "tags")],
          [2, False, 198])

    def transaction():
        pipe = r.pipeline()
        pipe.hset(p + "acct", mapping={"balance": 10}).hincrby(p + "acct", "balance", -3).sadd(p + "owners", "ada")
        return pipe.execute()

    check("a transaction over a hash and a set", transaction, [1, 7, 1])
    check("its writes are seen through another node",
          lambda: [other.hgetall(p + "acct"), other.smembers(p + "owners")], [{"balance": "7"}, {"ada"}])
    done()


if __name__ == "__main__":
    main()
