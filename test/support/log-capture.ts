import { Writable } from 'node:stream';

/** Collects every log line an app writes, parsed as JSON (a non-JSON line fails the parse). */
export class LogCapture extends Writable {
  readonly lines: Record<string, any>[] = [];

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      this.lines.push(JSON.parse(line) as Record<string, any>);
    }
    done();
  }

  /** Lines whose message matches. */
  matching(pattern: RegExp): Record<string, any>[] {
    return this.lines.filter((line) => pattern.test(String(line.msg ?? '')));
  }
}
