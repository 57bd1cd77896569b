import { connect, type Socket } from 'node:net';

/**
 * A bare TCP connection for protocol-level checks (inline commands, framing
 * errors): write raw bytes, wait for raw bytes, see when the server closes.
 */
export class RawConnection {
  private buf = '';
  private closedFlag = false;
  private readonly waiters: Array<() => void> = [];

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (s: string) => {
      this.buf += s;
      this.wake();
    });
    sock.on('close', () => {
      this.closedFlag = true;
      this.wake();
    });
    sock.on('error', () => {
      // a reset shows up as a close
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const sock = connect({ port, host: '127.0.0.1' });
      sock.once('connect', () => resolve(new RawConnection(sock)));
      sock.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  write(data: string | Buffer): void {
    this.sock.write(data);
  }

  /** Everything received and not yet taken. */
  get received(): string {
    return this.buf;
  }

  /** Waits until the received bytes hold `length` bytes or the connection closes; returns and consumes them. */
  async read(length: number, timeoutMs = 5000): Promise<string> {
    await this.until(() => this.buf.length >= length || this.closedFlag, timeoutMs);
    const out = this.buf.slice(0, length);
    this.buf = this.buf.slice(out.length);
    return out;
  }

  /** Waits for the server to close the connection; resolves false on timeout. */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    try {
      await this.until(() => this.closedFlag, timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.sock.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async until(cond: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; received so far: ${JSON.stringify(this.buf)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
