import { Writable } from 'node:stream';

/** Collects every log line an app writes, parsed as JSON (a non-JSON line fails the parse). */
export class LogCapture extends Writable {
  readonly lines: Record<string, any>[] = [];
  /** Every byte written, as text: for checking that something appears nowhere in the logs. */
  text = '';

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    const text = chunk.toString();
    this.text += text;
    for (const line of text.split('\n').filter(Boolean)) {
      this.lines.push(JSON.parse(line) as Record<string, any>);
    }
    done();
  }

  /** Lines whose message matches. */
  matching(pattern: RegExp): Record<string, any>[] {
    return this.lines.filter((line) => pattern.test(String(line.msg ?? '')));
  }
}
