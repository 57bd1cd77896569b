"""What the cluster scripts share: the two nodes' clients and the check printer.

A script gets ENTRY and OTHER (two nodes' ports) on its command line, prints
one JSON line per check ({"check", "ok", "expected", "got"}) and then
{"done": true}; compat/support/py-checks.ts reads them.
"""

import argparse
import json
import time

import redis


def show(value):
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, (list, tuple)):
        return [show(v) for v in value]
    return value


def clients(prefix):
    """(entry client, other client, a key prefix unique to this run)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--entry", type=int, required=True)
    ap.add_argument("--other", type=int, required=True)
    args = ap.parse_args()
    entry = redis.Redis(host="127.0.0.1", port=args.entry, decode_responses=True, socket_timeout=20)
    other = redis.Redis(host="127.0.0.1", port=args.other, decode_responses=True, socket_timeout=20)
    return entry, other, "%s:%d:" % (prefix, int(time.time() * 1000))


def check(name, fn, expected):
    """fn is called here, so an unexpected error reply fails only this check."""
    try:
        got = fn()
    except Exception as e:
        got = "%s: %s" % (type(e).__name__, e)
    print(json.dumps({"check": name, "ok": got == expected, "expected": show(expected), "got": show(got)}), flush=True)


def done():
    print(json.dumps({"done": True}), flush=True)
