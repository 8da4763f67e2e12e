import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { LineWriter } from './line-writer';

const lines = (count: number, prefix = 'line') =>
  Array.from({ length: count }, (_, index) => `${prefix} ${index} é\n`);

describe('LineWriter', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'line-writer-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every line, in order, and says when they are all out', async () => {
    const file = join(dir, 'log');
    const fd = openSync(file, 'w');
    const writer = new LineWriter(fd);
    const written = lines(5000);
    for (const line of written) expect(writer.write(line)).toBe(true);
    await new Promise<void>((resolve) => writer.flush(resolve));
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe(written.join(''));
    expect(writer.dropped).toBe(0);
  });

  it('drops and counts lines past its bound while a write is out, rather than holding them', async () => {
    const file = join(dir, 'log');
    const fd = openSync(file, 'w');
    const writer = new LineWriter(fd, 20);
    expect(writer.write('first\n')).toBe(true); // out at once, not queued
    expect(writer.write('queued 1\n')).toBe(true); // 9 chars queued
    expect(writer.write('queued 2\n')).toBe(true); // 18
    expect(writer.write('over the bound\n')).toBe(false);
    expect(writer.dropped).toBe(1);
    await new Promise<void>((resolve) => writer.flush(resolve));
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe('first\nqueued 1\nqueued 2\n');
  });

  it('stops writing, and drops what it is given, once the descriptor is gone', async () => {
    const fd = openSync(join(dir, 'log'), 'w');
    closeSync(fd);
    const writer = new LineWriter(fd);
    writer.write('to a closed descriptor\n');
    await new Promise<void>((resolve) => writer.flush(resolve));
    expect(writer.write('after\n')).toBe(false);
    expect(writer.dropped).toBe(1);
  });

  describe('in a process of its own (stdout a pipe)', () => {
    // The writer, compiled for a child `node` (which cannot load TypeScript on every Node we run).
    /**
     * Runs `body` with the writer in a child whose stdout is a pipe. With `holdReading`, the pipe is
     * not read until 300 ms after the child says on stderr that it has queued everything (so a slow
     * start of the child cannot let the reader catch up before the pipe is full).
     */
    const runChild = (body: string, holdReading = false): Promise<string> => {
      const source = readFileSync(join(__dirname, 'line-writer.ts'), 'utf8');
      const module = join(dir, 'line-writer.js');
      writeFileSync(module, transformSync(source, { loader: 'ts', format: 'cjs' }).code);
      const child = spawn(
        process.execPath,
        ['-e', `const { LineWriter } = require(${JSON.stringify(module)});\n${body}`],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const chunks: Buffer[] = [];
      if (holdReading) {
        child.stdout.pause();
        child.stderr.once('data', () => setTimeout(() => child.stdout.resume(), 300));
      }
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      let errors = '';
      child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      return new Promise((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0
            ? resolve(Buffer.concat(chunks).toString('utf8'))
            : reject(new Error(`child exited ${code}: ${errors}`)),
        );
      });
    };

    it('writes what is still queued when the process exits', async () => {
      const out = await runChild(`
        const writer = new LineWriter(1);
        writer.flush(() => {
          writer.write('in flight\\n');
          for (let i = 0; i < 200; i += 1) writer.write('queued ' + i + '\\n');
          process.exit(0);
        });`);
      const queued = out.split('\n').filter((line) => line.startsWith('queued'));
      expect(queued).toEqual(Array.from({ length: 200 }, (_, i) => `queued ${i}`));
    });

    it('loses nothing while the pipe is full and its reader not yet reading', async () => {
      // 2 MB of lines into a pipe that holds 64 KiB, read only once they are all queued (and 300
      // ms more): the writes find it full (EAGAIN on a non-blocking pipe) and go on once it drains.
      const out = await runChild(
        `
        process.stdout; // stdout as a pipe: non-blocking, as in a container
        const writer = new LineWriter(1);
        for (let i = 0; i < 40000; i += 1) writer.write('line ' + i + ' ' + 'x'.repeat(40) + '\\n');
        process.stderr.write('queued\\n');
        writer.flush(() => process.exit(0));`,
        true,
      );
      const received = out.split('\n').slice(0, -1);
      expect(received).toHaveLength(40000);
      expect(received[39999]).toBe(`line 39999 ${'x'.repeat(40)}`);
      expect(received.every((line, i) => line.startsWith(`line ${i} `))).toBe(true);
    });
  });
});
