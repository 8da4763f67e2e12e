import { write, writeSync } from 'node:fs';

/** How long a write that found the descriptor full (EAGAIN) waits before it tries again. */
const RETRY_AFTER_MS = 10;

/** Whether an error is the descriptor being full for now (a non-blocking pipe nobody reads yet). */
const isBusy = (error: NodeJS.ErrnoException): boolean =>
  error.code === 'EAGAIN' || error.code === 'EWOULDBLOCK';

const writers = new Set<LineWriter>();
let exitHookInstalled = false;

/**
 * pino's destination outside tests: lines to a file descriptor (stdout), in batches, one
 * asynchronous write at a time; the lines that arrive while a write is out go together in the
 * next. The event loop never waits on a slow log pipe, and what is still queued is written
 * synchronously when the process exits (`process.exit` included).
 *
 * What pino's own asynchronous destination (sonic-boom) does, without its cost per line: sonic-boom
 * counts the UTF-8 bytes of its whole pending batch again on every line (a string grown by `+=`, so
 * flattened and scanned each time): 9–14% of a cache hit's CPU in a profile under load. Here a line
 * costs an array push; the batch is joined and encoded once per write.
 *
 * Bounded: past `maxPendingChars` queued (a log reader that stopped reading), lines are dropped and
 * counted rather than held. Once the descriptor is gone for good (EPIPE, EBADF), lines are dropped.
 */
export class LineWriter {
  private pending: string[] = [];
  private pendingChars = 0;
  private writing = false;
  private closed = false;
  private drained: (() => void)[] = [];
  /** Lines dropped: over the bound, or after the descriptor failed. */
  dropped = 0;

  constructor(
    private readonly fd: number,
    private readonly maxPendingChars = 16 * 1024 * 1024,
  ) {
    writers.add(this);
    installExitHook();
  }

  write(line: string): boolean {
    if (this.closed || this.pendingChars + line.length > this.maxPendingChars) {
      this.dropped += 1;
      return false;
    }
    this.pending.push(line);
    this.pendingChars += line.length;
    if (!this.writing) this.writeBatch();
    return true;
  }

  /** Calls `done` once every line written so far is out (pino's `logger.flush`). */
  flush(done: () => void = () => undefined): void {
    if (!this.writing) return done();
    this.drained.push(done);
  }

  /** Writes what is queued now, synchronously (at exit). A write already out is the kernel's. */
  flushSync(): void {
    if (this.pending.length === 0 || this.closed) return;
    const data = this.takeBatch();
    let offset = 0;
    let busyTries = 0;
    while (offset < data.length) {
      try {
        offset += writeSync(this.fd, data, offset, data.length - offset);
      } catch (error) {
        if (!isBusy(error as NodeJS.ErrnoException) || ++busyTries > 100) return this.close();
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RETRY_AFTER_MS);
      }
    }
  }

  private takeBatch(): Buffer {
    const data = Buffer.from(this.pending.length === 1 ? this.pending[0] : this.pending.join(''));
    this.pending = [];
    this.pendingChars = 0;
    return data;
  }

  private writeBatch(): void {
    this.writing = true;
    this.writeFrom(this.takeBatch(), 0);
  }

  private writeFrom(data: Buffer, offset: number): void {
    write(this.fd, data, offset, data.length - offset, null, (error, written) => {
      if (error) {
        if (isBusy(error)) {
          setTimeout(() => this.writeFrom(data, offset), RETRY_AFTER_MS);
          return;
        }
        this.close();
        return this.settle();
      }
      if (offset + written < data.length) return this.writeFrom(data, offset + written);
      if (this.pending.length > 0) return this.writeBatch();
      this.settle();
    });
  }

  private settle(): void {
    this.writing = false;
    const waiting = this.drained;
    this.drained = [];
    for (const done of waiting) done();
  }

  /** The descriptor is gone: nothing more is written (pino's own destination does the same). */
  private close(): void {
    this.closed = true;
    this.dropped += this.pending.length;
    this.pending = [];
    this.pendingChars = 0;
    writers.delete(this);
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const writer of writers) writer.flushSync();
  });
}
