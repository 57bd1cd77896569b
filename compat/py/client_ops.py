"""redis-py against a server on 127.0.0.1:PORT: the operations an application uses.

Prints one JSON line per check: {"check", "ok", "expected", "got"}, then
{"done": true, "redis_py": version, "protocol3": "checked" | "unsupported"}.
Run with the interpreter that has redis-py (Debian: /usr/bin/python3).
"""

import argparse
import inspect
import json
import os
import sys
import time

import redis


def show(value):
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, (list, tuple)):
        return [show(v) for v in value]
    if isinstance(value, dict):
        return {show(k): show(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(show(v) for v in value)
    if isinstance(value, Exception):
        return "%s: %s" % (type(value).__name__, value)
    return value


class Checks:
    def __init__(self, prefix):
        self.prefix = prefix
        self.failed = 0

    def eq(self, name, fn, expected):
        """fn is called here so that an unexpected error reply fails only this check."""
        try:
            got = fn()
        except redis.exceptions.RedisError as err:
            self.emit(name, False, expected, err)
            return None
        self.emit(name, got == expected, expected, got)
        return got

    def true(self, name, fn, pred):
        try:
            got = fn()
        except redis.exceptions.RedisError as err:
            self.emit(name, False, "a reply", err)
            return None
        self.emit(name, bool(pred(got)), name, got)
        return got

    def emit(self, name, ok, expected, got):
        if not ok:
            self.failed += 1
        line = {"check": self.prefix + name, "ok": ok, "expected": show(expected), "got": show(got)}
        print(json.dumps(line), flush=True)

    def raises(self, name, fn, message):
        try:
            got = fn()
        except redis.exceptions.ResponseError as err:
            self.emit(name, str(err) == message, message, str(err))
            return
        self.emit(name, False, "ResponseError: " + message, got)


def exercise(c, r, raw, p):
    """c: checks, r: client with decode_responses=True, raw: bytes client, p: key prefix."""
    c.eq("ping", lambda: r.ping(), True)
    c.eq("set", lambda: r.set(p + "k", "v"), True)
    c.eq("get", lambda: r.get(p + "k"), "v")
    c.eq("get missing", lambda: r.get(p + "missing"), None)
    c.eq("set nx on existing", lambda: r.set(p + "k", "w", nx=True), None)
    c.eq("set xx get", lambda: r.set(p + "k", "w", xx=True, get=True), "v")
    c.eq("incr", lambda: r.incr(p + "n"), 1)
    c.eq("incrby", lambda: r.incrby(p + "n", 41), 42)
    c.eq("decr", lambda: r.decr(p + "n"), 41)
    c.eq("incrbyfloat", lambda: r.incrbyfloat(p + "f", 2.5), 2.5)
    c.eq("append", lambda: r.append(p + "k", "xyz"), 4)
    c.eq("strlen", lambda: r.strlen(p + "k"), 4)
    c.eq("mset", lambda: r.mset({p + "a": "1", p + "b": "2"}), True)
    c.eq("mget", lambda: r.mget([p + "a", p + "missing", p + "b"]), ["1", None, "2"])
    c.eq("msetnx refused", lambda: r.msetnx({p + "a": "x", p + "z": "y"}), False)
    c.eq("exists", lambda: r.exists(p + "a", p + "b", p + "missing"), 2)
    c.eq("type", lambda: r.type(p + "a"), "string")
    c.eq("delete", lambda: r.delete(p + "a", p + "b", p + "missing"), 2)
    c.eq("getdel", lambda: r.getdel(p + "k"), "wxyz")
    c.eq("get after getdel", lambda: r.get(p + "k"), None)

    c.eq("set for expiry", lambda: r.set(p + "e", "v"), True)
    c.eq("ttl without expiry", lambda: r.ttl(p + "e"), -1)
    c.eq("expire", lambda: r.expire(p + "e", 100), True)
    c.true("ttl in [99, 100]", lambda: r.ttl(p + "e"), lambda ttl: 99 <= ttl <= 100)
    c.eq("pexpire", lambda: r.pexpire(p + "e", 50000), True)
    c.true("pttl in (48000, 50000]", lambda: r.pttl(p + "e"), lambda pttl: 48000 < pttl <= 50000)
    c.eq("persist", lambda: r.persist(p + "e"), True)
    c.eq("ttl after persist", lambda: r.ttl(p + "e"), -1)
    c.eq("ttl missing", lambda: r.ttl(p + "missing"), -2)
    c.eq("set ex", lambda: r.set(p + "ex", "v", ex=30), True)
    c.true("set ex ttl in [29, 30]", lambda: r.ttl(p + "ex"), lambda ttl: 29 <= ttl <= 30)
    c.eq("set px", lambda: r.set(p + "px", "v", px=1), True)
    time.sleep(0.03)
    c.eq("expired key is gone", lambda: r.get(p + "px"), None)

    def set_many():
        pipe = r.pipeline(transaction=False)
        for i in range(300):
            pipe.set("%sscan:%d" % (p, i), str(i))
        return pipe.execute()

    def get_many():
        pipe = r.pipeline(transaction=False)
        for i in range(300):
            pipe.get("%sscan:%d" % (p, i))
        return pipe.execute()

    c.eq("pipeline of 300 sets", set_many, [True] * 300)
    # A connection of its own: a SCAN problem then fails these checks alone.
    scanner = redis.Redis(connection_pool=redis.ConnectionPool(**r.connection_pool.connection_kwargs))
    seen = c.true("scan_iter sees every key once", lambda: list(scanner.scan_iter(match=p + "scan:*", count=40)),
                  lambda keys: len(set(keys)) == 300) or []
    c.true("scan_iter match filters", lambda: seen, lambda keys: all(k.startswith(p + "scan:") for k in keys))
    c.eq("pipeline of 300 gets in order", get_many, [str(i) for i in range(300)])

    def mixed_pipeline():
        pipe = r.pipeline(transaction=False)
        pipe.set(p + "pe", "abc").incr(p + "pe").get(p + "pe")
        return [show(x) for x in pipe.execute(raise_on_error=False)]

    c.eq("an error in a pipeline fails only its own command", mixed_pipeline,
         [True, "ResponseError: value is not an integer or out of range", "abc"])

    # redis-py's default pipeline() is a MULTI/EXEC transaction.
    def default_pipeline():
        pipe = r.pipeline()
        pipe.set(p + "tx", "1").incr(p + "tx").get(p + "tx")
        return pipe.execute()

    c.eq("default pipeline (MULTI/EXEC)", default_pipeline, [True, 2, "2"])

    def failing_transaction():
        pipe = r.pipeline()
        pipe.set(p + "tx2", "abc").incr(p + "tx2").get(p + "tx2")
        return [show(x) for x in pipe.execute(raise_on_error=False)]

    c.eq("a runtime error in a transaction fails only its own command", failing_transaction,
         [True, "ResponseError: value is not an integer or out of range", "abc"])

    def watched_increment():
        def body(pipe):
            current = int(pipe.get(p + "wx") or 0)
            pipe.multi()
            pipe.set(p + "wx", current + 1)
        r.set(p + "wx", "10")
        return r.transaction(body, p + "wx")

    c.eq("transaction() with WATCH", watched_increment, [True])
    c.eq("its write landed", lambda: r.get(p + "wx"), "11")

    def watch_error():
        other = redis.Redis(connection_pool=redis.ConnectionPool(**r.connection_pool.connection_kwargs))
        with r.pipeline() as pipe:
            pipe.watch(p + "wy")
            other.set(p + "wy", "changed elsewhere")
            pipe.multi()
            pipe.set(p + "wy", "mine")
            try:
                pipe.execute()
                return "executed"
            except redis.exceptions.WatchError:
                return "WatchError"

    c.eq("a watched key changed by another client aborts EXEC", watch_error, "WatchError")
    c.eq("and nothing of it was written", lambda: r.get(p + "wy"), "changed elsewhere")
    c.raises("EXEC without MULTI", lambda: r.execute_command("EXEC"), "EXEC without MULTI")

    blob = bytes(range(256)) + bytes(reversed(range(256)))
    c.eq("binary set", lambda: raw.set(p + "bin", blob), True)
    c.eq("binary get", lambda: raw.get(p + "bin"), blob)
    bin_key = p.encode() + b"\x00\xff\r\n "
    c.eq("binary key set", lambda: raw.set(bin_key, b"under a binary key"), True)
    c.eq("binary key get", lambda: raw.get(bin_key), b"under a binary key")
    big = b"z" * (600 * 1024)
    c.eq("600 KiB value set", lambda: raw.set(p + "big", big), True)
    c.eq("600 KiB value get", lambda: raw.get(p + "big"), big)

    c.eq("set a string", lambda: r.set(p + "str", "abc"), True)
    c.raises("incr on a string", lambda: r.incr(p + "str"), "value is not an integer or out of range")
    c.raises("unknown command", lambda: r.execute_command("NOSUCHCMD", "a"),
             "unknown command 'NOSUCHCMD', with args beginning with: 'a' ")
    c.raises("wrong arity", lambda: r.execute_command("GET"), "wrong number of arguments for 'get' command")
    c.raises("syntax error", lambda: r.execute_command("SET", p + "str", "v", "NX", "XX"), "syntax error")
    c.eq("connection still works", lambda: r.ping(), True)

    hashes_and_sets(c, r, raw, p)


def hashes_and_sets(c, r, raw, p):
    """Hashes and sets as applications use them: dicts, Python sets, pipelines."""
    h = p + "user:1"
    c.eq("hset mapping", lambda: r.hset(h, mapping={"name": "ada", "lang": "en", "visits": "0"}), 3)
    c.eq("hset one field", lambda: r.hset(h, "email", "ada@example.com"), 1)
    c.eq("hset existing field", lambda: r.hset(h, "lang", "fr"), 0)
    c.eq("hget", lambda: r.hget(h, "name"), "ada")
    c.eq("hget missing field", lambda: r.hget(h, "nope"), None)
    c.eq("hgetall is a dict", lambda: r.hgetall(h),
         {"name": "ada", "lang": "fr", "visits": "0", "email": "ada@example.com"})
    c.eq("hgetall of a missing key is an empty dict", lambda: r.hgetall(p + "nouser"), {})
    c.eq("hmget", lambda: r.hmget(h, ["name", "nope", "lang"]), ["ada", None, "fr"])
    c.eq("hkeys", lambda: sorted(r.hkeys(h)), ["email", "lang", "name", "visits"])
    c.eq("hvals", lambda: sorted(r.hvals(h)), ["0", "ada", "ada@example.com", "fr"])
    c.eq("hlen", lambda: r.hlen(h), 4)
    c.eq("hexists", lambda: r.hexists(h, "name"), True)
    c.eq("hexists missing", lambda: r.hexists(h, "nope"), False)
    c.eq("hstrlen", lambda: r.hstrlen(h, "email"), 15)
    c.eq("hsetnx refused", lambda: r.hsetnx(h, "name", "bob"), 0)
    c.eq("hsetnx new field", lambda: r.hsetnx(h, "city", "paris"), 1)
    c.eq("hincrby", lambda: r.hincrby(h, "visits", 5), 5)
    c.eq("hincrby negative", lambda: r.hincrby(h, "visits", -2), 3)
    c.eq("hincrbyfloat", lambda: r.hincrbyfloat(h, "score", 2.5), 2.5)
    c.eq("hincrbyfloat again", lambda: r.hincrbyfloat(h, "score", 0.25), 2.75)
    c.true("hrandfield", lambda: r.hrandfield(h), lambda f: f in ("name", "lang", "visits", "email", "city", "score"))
    c.true("hrandfield count", lambda: r.hrandfield(h, 3), lambda fs: len(fs) == 3 and len(set(fs)) == 3)
    c.true("hrandfield negative count with values", lambda: r.hrandfield(h, -8, withvalues=True),
           lambda fv: len(fv) == 16 and all(r.hget(h, fv[i]) == fv[i + 1] for i in range(0, 16, 2)))
    c.eq("hdel", lambda: r.hdel(h, "city", "nope"), 1)
    c.eq("hscan_iter sees every field", lambda: dict(r.hscan_iter(h, count=2)),
         {"name": "ada", "lang": "fr", "visits": "3", "email": "ada@example.com", "score": "2.75"})
    c.eq("hscan_iter match", lambda: sorted(r.hscan_iter(h, match="l*")), [("lang", "fr")])
    c.eq("type hash", lambda: r.type(h), "hash")
    c.eq("hset many fields", lambda: r.hset(p + "wide", mapping={"f%d" % i: str(i) for i in range(500)}), 500)
    c.eq("hgetall many fields", lambda: r.hgetall(p + "wide"), {"f%d" % i: str(i) for i in range(500)})
    blob = bytes(range(256))
    c.eq("binary hash value", lambda: raw.hset(p + "binh", b"\x00f\r\n", blob), 1)
    c.eq("binary hgetall", lambda: raw.hgetall(p + "binh"), {b"\x00f\r\n": blob})
    c.raises("hincrby on a non-integer", lambda: r.hincrby(h, "name", 1), "hash value is not an integer")
    c.raises("hincrbyfloat on a non-float", lambda: r.hincrbyfloat(h, "name", 1.5), "hash value is not a float")
    c.raises("get on a hash", lambda: r.get(h), "WRONGTYPE Operation against a key holding the wrong kind of value")
    c.raises("hget on a string", lambda: r.hget(p + "str", "f"),
             "WRONGTYPE Operation against a key holding the wrong kind of value")

    s = p + "tags"
    c.eq("sadd", lambda: r.sadd(s, "red", "green", "blue", "red"), 3)
    c.eq("sadd existing", lambda: r.sadd(s, "red"), 0)
    c.eq("smembers is a set", lambda: r.smembers(s), {"red", "green", "blue"})
    c.eq("smembers of a missing key is an empty set", lambda: r.smembers(p + "notags"), set())
    c.true("sismember", lambda: r.sismember(s, "red"), lambda v: v in (True, 1))
    c.true("sismember missing", lambda: r.sismember(s, "pink"), lambda v: v in (False, 0))
    c.true("smismember", lambda: r.smismember(s, ["red", "pink", "blue"]),
           lambda v: [bool(x) for x in v] == [True, False, True])
    c.eq("scard", lambda: r.scard(s), 3)
    c.eq("srem", lambda: r.srem(s, "green", "pink"), 1)
    c.true("srandmember", lambda: r.srandmember(s), lambda m: m in ("red", "blue"))
    c.true("srandmember negative count", lambda: r.srandmember(s, -5), lambda ms: len(ms) == 5 and set(ms) <= {"red", "blue"})
    c.eq("sadd for spop", lambda: r.sadd(p + "pool", "a", "b", "c", "d"), 4)
    c.true("spop", lambda: r.spop(p + "pool"), lambda m: m in ("a", "b", "c", "d"))
    c.true("spop count", lambda: r.spop(p + "pool", 2), lambda ms: len(ms) == 2 and set(ms) <= {"a", "b", "c", "d"})
    c.eq("scard after spop", lambda: r.scard(p + "pool"), 1)
    c.eq("smove", lambda: r.smove(s, p + "other", "red"), True)
    c.eq("smove missing member", lambda: r.smove(s, p + "other", "red"), False)
    c.eq("sadd a", lambda: r.sadd(p + "sa", "1", "2", "3"), 3)
    c.eq("sadd b", lambda: r.sadd(p + "sb", "2", "3", "4"), 3)
    c.eq("sinter", lambda: r.sinter(p + "sa", p + "sb"), {"2", "3"})
    c.eq("sunion", lambda: r.sunion([p + "sa", p + "sb"]), {"1", "2", "3", "4"})
    c.eq("sdiff", lambda: r.sdiff(p + "sa", p + "sb"), {"1"})
    c.eq("sinterstore", lambda: r.sinterstore(p + "sd", [p + "sa", p + "sb"]), 2)
    c.eq("sunionstore", lambda: r.sunionstore(p + "su", p + "sa", p + "sb"), 4)
    c.eq("sdiffstore of nothing deletes", lambda: r.sdiffstore(p + "sd", [p + "sa", p + "sa"]), 0)
    c.eq("exists after an empty store", lambda: r.exists(p + "sd"), 0)
    c.eq("sscan_iter", lambda: sorted(r.sscan_iter(p + "su", count=1)), ["1", "2", "3", "4"])
    c.eq("type set", lambda: r.type(s), "set")
    c.raises("sadd on a hash", lambda: r.sadd(h, "x"), "WRONGTYPE Operation against a key holding the wrong kind of value")
    c.eq("scan_iter _type hash", lambda: sorted(r.scan_iter(match=p + "*", _type="hash")),
         sorted([h, p + "wide", p + "binh"]))
    c.eq("scan_iter _type set", lambda: sorted(r.scan_iter(match=p + "*", _type="set")),
         sorted([s, p + "other", p + "pool", p + "sa", p + "sb", p + "su"]))
    c.eq("expire a hash", lambda: r.expire(h, 100), True)
    c.true("ttl of a hash", lambda: r.ttl(h), lambda ttl: 99 <= ttl <= 100)
    c.eq("rename a set", lambda: r.rename(p + "su", p + "su2"), True)
    c.eq("smembers after rename", lambda: r.smembers(p + "su2"), {"1", "2", "3", "4"})
    c.eq("delete a hash and a set", lambda: r.delete(h, p + "su2"), 2)

    def cart_pipeline():
        pipe = r.pipeline(transaction=False)
        for i in range(100):
            pipe.hset(p + "cart", "item:%d" % i, i)
            pipe.hincrby(p + "cart", "total", i)
            pipe.sadd(p + "cartitems", "item:%d" % i)
        pipe.hget(p + "cart", "total").hlen(p + "cart").scard(p + "cartitems")
        return pipe.execute()[-3:]

    c.eq("pipeline of hset, hincrby, sadd", cart_pipeline, [str(sum(range(100))), 101, 100])

    def hash_transaction():
        pipe = r.pipeline()
        pipe.hset(p + "acct", mapping={"balance": 10, "owner": "ada"})
        pipe.hincrby(p + "acct", "balance", -3).hgetall(p + "acct").sadd(p + "owners", "ada").smembers(p + "owners")
        return pipe.execute()

    c.eq("transaction with hashes and sets", hash_transaction,
         [2, 7, {"balance": "7", "owner": "ada"}, 1, {"ada"}])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    common = dict(host="127.0.0.1", port=args.port, socket_timeout=10)

    c = Checks("resp2: ")
    exercise(c, redis.Redis(decode_responses=True, **common), redis.Redis(**common), "py2:%d:" % os.getpid())

    supports_protocol = "protocol" in inspect.signature(redis.Redis.__init__).parameters
    if supports_protocol:
        c3 = Checks("resp3: ")
        r3 = redis.Redis(decode_responses=True, protocol=3, **common)
        exercise(c3, r3, redis.Redis(protocol=3, **common), "py3:%d:" % os.getpid())
        c.failed += c3.failed
    print(json.dumps({"done": True, "redis_py": redis.__version__,
                      "protocol3": "checked" if supports_protocol else "unsupported"}), flush=True)
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
