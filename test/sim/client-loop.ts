import type { Rng } from '../../src/core/rng.js';
import type { World } from './world.js';

/**
 * Seeded clients sharing one operation budget: each runs one operation at
 * a time, then thinks a random while (so several are in flight at once),
 * until the budget is used. Subclasses say what an operation is.
 */
export abstract class ClientLoop {
  private issued = 0;
  private running = 0;
  completed = 0;

  constructor(
    protected readonly world: World,
    protected readonly rng: Rng,
    private readonly budget: number,
    private readonly thinkMs: number,
    /** Called after every finished operation (a step), to check invariants. */
    private readonly onStep: () => void,
  ) {}

  get done(): boolean {
    return this.issued >= this.budget && this.running === 0;
  }

  /** Starts `n` clients; each stops once the run's operation budget is used. */
  start(n: number): void {
    for (let c = 0; c < n; c++) this.next(c);
  }

  protected abstract run(client: number, op: number): Promise<void>;

  private next(client: number): void {
    if (this.issued >= this.budget) return;
    const op = ++this.issued;
    this.running++;
    void this.run(client, op).finally(() => {
      this.running--;
      this.completed++;
      this.onStep();
      this.world.clock.setTimeout(() => this.next(client), this.rng.int(this.thinkMs + 1));
    });
  }
}
