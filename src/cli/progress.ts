/**
 * A progress line with counts and ETA on a terminal; silent when stderr is not a TTY or
 * under CI, so logs stay clean.
 */
export class Progress {
  private done = 0;
  private readonly t0 = Date.now();
  private readonly live: boolean;

  constructor(
    private readonly label: string,
    private total: number,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.live = Boolean(stream.isTTY) && !process.env.CI;
    this.stream = stream;
  }
  private stream: NodeJS.WriteStream;

  /** Sets the count (and the total, when it becomes known). */
  update(done: number, total = this.total): void {
    this.total = total;
    this.tick(done - this.done);
  }

  tick(n = 1): void {
    this.done += n;
    if (!this.live) return;
    const frac = this.total ? this.done / this.total : 1;
    const width = 24;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const elapsed = (Date.now() - this.t0) / 1000;
    const eta = this.done ? (elapsed / this.done) * (this.total - this.done) : 0;
    this.stream.write(`\r${this.label} [${bar}] ${this.done}/${this.total}  ${elapsed.toFixed(0)}s elapsed, ETA ${eta.toFixed(0)}s `);
    if (this.done >= this.total) this.stream.write('\n');
  }
}
