import { Worker } from 'node:worker_threads';

/** A task for one worker; `resolve` receives the worker's reply message. */
interface Task {
  msg: Record<string, unknown>;
  timeoutMs: number;
  resolve: (reply: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

/** Raised to the pool's caller when a task exceeds its time; the worker is replaced. */
export class TaskTimeout extends Error {}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  busy: boolean;
}

/**
 * A fixed set of long-lived worker threads, each taking one task at a time from a FIFO
 * queue. A task that runs past its timeout terminates its worker, which is replaced by a
 * fresh one, so one stuck simulation never blocks the others.
 */
export class WorkerPool {
  private slots: Slot[] = [];
  private queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly spawn: () => Worker,
    readonly size: number,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.makeSlot());
  }

  private makeSlot(): Slot {
    const worker = this.spawn();
    const ready = new Promise<void>((resolve, reject) => {
      const onMsg = (m: { ready?: boolean }) => {
        if (m?.ready) {
          worker.off('message', onMsg);
          resolve();
        }
      };
      worker.on('message', onMsg);
      worker.once('error', reject);
    });
    return { worker, ready, busy: false };
  }

  /** Resolves when every worker has started its engine. */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.ready));
  }

  submit(msg: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ msg, timeoutMs, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (let i = 0; i < this.slots.length && this.queue.length > 0; i++) {
      if (!this.slots[i].busy) this.runOn(i, this.queue.shift()!);
    }
  }

  private runOn(index: number, task: Task): void {
    const slot = this.slots[index];
    slot.busy = true;
    const id = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    const finish = (replace: boolean) => {
      clearTimeout(timer);
      slot.worker.off('message', onMsg);
      slot.worker.off('error', onErr);
      slot.worker.off('exit', onExit);
      if (replace && !this.closed) {
        void slot.worker.terminate();
        this.slots[index] = this.makeSlot();
      } else slot.busy = false;
      this.dispatch();
    };
    const onMsg = (m: Record<string, unknown>) => {
      if (m.id !== id) return;
      finish(false);
      task.resolve(m);
    };
    const onErr = (e: Error) => {
      finish(true);
      task.reject(e);
    };
    const onExit = (code: number) => {
      finish(true);
      task.reject(new Error(`worker exited with code ${code}`));
    };
    slot.worker.on('message', onMsg);
    slot.worker.once('error', onErr);
    slot.worker.once('exit', onExit);
    slot.ready.then(
      () => {
        timer = setTimeout(() => {
          finish(true);
          task.reject(new TaskTimeout(`timed out after ${task.timeoutMs} ms`));
        }, task.timeoutMs);
        slot.worker.postMessage({ ...task.msg, id });
      },
      (e) => onErr(e as Error),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue) t.reject(new Error('worker pool closed'));
    this.queue = [];
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
