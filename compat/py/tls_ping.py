"""PING over TLS with redis-py (ssl=True): prints one JSON line, {"ok": true, "reply": ...}
or {"ok": false, "error": "<type>: <message>"} for a refused or failed connection."""
import argparse
import json

import redis

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--ca", required=True)
parser.add_argument("--cert")
parser.add_argument("--key")
args = parser.parse_args()

try:
    client = redis.Redis(
        host="127.0.0.1",
        port=args.port,
        ssl=True,
        ssl_ca_certs=args.ca,
        ssl_certfile=args.cert,
        ssl_keyfile=args.key,
        ssl_check_hostname=False,
        socket_timeout=10,
    )
    client.set("py-tls", "yes")
    print(json.dumps({"ok": True, "reply": client.get("py-tls").decode()}))
except Exception as exc:  # every failure is an answer here: the test compares it
    print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}))
