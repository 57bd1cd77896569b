import type { Clock } from './clock.js';

/**
 * Settles like `p`, or rejects with `onTimeout()` once `ms` have passed on
 * `clock`. `p` itself is not cancelled (a disk write cannot be taken back):
 * the caller stops waiting, and says so in its error.
 */
export function withTimeout<T>(clock: Clock, p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(onTimeout()), ms);
    p.then(
      (v) => {
        timer.cancel();
        resolve(v);
      },
      (e: unknown) => {
        timer.cancel();
        reject(e);
      },
    );
  });
}
