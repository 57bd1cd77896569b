"""redis-py's Lock (r.lock(), built on SET NX PX and Lua scripts) through ENTRY, contended through OTHER.

Prints one JSON line per check, then {"done": true} (compat/support/py-checks.ts).
"""

from cluster_checks import check, clients, done


def main():
    r, other, p = clients("pylock")

    def context_manager():
        out = []
        with r.lock(p + "a", timeout=5, blocking_timeout=1) as lock:
            out.append(lock.owned())
            out.append(0 < r.pttl(p + "a") <= 5000)
            rival = other.lock(p + "a", blocking_timeout=0.2)
            out.append(rival.acquire())
            out.append(lock.extend(10))
            out.append(5000 < r.pttl(p + "a") <= 15000)
            out.append(lock.reacquire())
        out.append(r.get(p + "a"))
        return out

    check("with r.lock(): owned, contended, extended, released on exit", context_manager, [True, True, False, True, True, True, None])

    def default_timeout_released():
        # With timeout=None the key has no expiry: only release() frees it.
        lock = r.lock(p + "b")
        first = lock.acquire(blocking=False)
        lock.release()
        again = other.lock(p + "b")
        second = again.acquire(blocking=False)
        again.release()
        return [first, second, r.exists(p + "b")]

    check("timeout=None: released, then acquired again", default_timeout_released, [True, True, 0])

    def release_not_owned():
        lock = r.lock(p + "c", timeout=5)
        lock.acquire()
        other.set(p + "c", "someone else")
        try:
            lock.release()
            return "released"
        except Exception as e:
            return type(e).__name__

    check("releasing a lock someone else took raises LockNotOwnedError", release_not_owned, "LockNotOwnedError")
    done()


if __name__ == "__main__":
    main()
