/**
 * Lifeguard's local health awareness: a score that rises when this node
 * misses acks or has to refute suspicions about itself (signs that it is the
 * slow one: a stalled event loop, a saturated CPU) and falls with each
 * successful probe. Probe intervals and timeouts are stretched by
 * (score + 1), so an unhealthy node suspects others less eagerly instead of
 * spreading false suspicions.
 */
export class Awareness {
  private value = 0;

  constructor(private readonly max: number) {}

  get score(): number {
    return this.value;
  }

  /** Moves the score by delta, kept within [0, max - 1]. */
  apply(delta: number): void {
    this.value = Math.min(Math.max(0, this.max - 1), Math.max(0, this.value + delta));
  }

  /** A duration stretched by the current health. */
  scale(ms: number): number {
    return ms * (this.value + 1);
  }
}
