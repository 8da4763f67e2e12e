import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A real redis-server (Debian's package; `.ci/run` installs it) on a free port with a throwaway
 * directory, for tests: `await startRedis()`, then `url`, `kill()` (SIGKILL, as a crash),
 * `pause()`/`resume()` (SIGSTOP/SIGCONT), `restart()` (same port and directory) and `stop()`.
 */
export async function startRedis(options: { appendOnly?: boolean } = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'event-gateway-redis-'));
  let process: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir];
    if (options.appendOnly) args.push('--appendonly', 'yes');
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    process = child;
    // Ready when it says so on stdout (no polling).
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      child.once('error', (error) =>
        reject(
          new Error(
            `redis-server could not start (apt-get install -y redis-server): ${error.message}`,
          ),
        ),
      );
      child.once('exit', (code) =>
        reject(new Error(`redis-server exited with ${code}: ${output}`)),
      );
    });
  };

  const exited = (child: ChildProcess | undefined) =>
    child && child.exitCode === null && child.signalCode === null
      ? new Promise<void>((resolve) => child.once('exit', () => resolve()))
      : Promise.resolve();

  await launch();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    /** Kills it as a crash would (SIGKILL) and waits until it is gone. */
    async kill(): Promise<void> {
      const child = process;
      child?.kill('SIGKILL');
      await exited(child);
    },
    /** Stalls it (SIGSTOP): connections stay open, nothing is answered until `resume()`. */
    pause(): void {
      process?.kill('SIGSTOP');
    },
    /** Lets a paused server go on (SIGCONT): it answers what it was sent meanwhile. */
    resume(): void {
      process?.kill('SIGCONT');
    },
    /** Starts it again on the same port and directory. */
    restart: launch,
    async stop(): Promise<void> {
      const child = process;
      child?.kill('SIGCONT');
      child?.kill('SIGTERM');
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type RedisServer = Awaited<ReturnType<typeof startRedis>>;

/**
 * A redis-server of the test file's own: started before its tests, stopped after them, and emptied
 * before each test (call it before any beforeEach that uses it). `url` is read in tests and hooks.
 */
export function useEmptyRedis(): { readonly url: string } {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server?.stop());
  beforeEach(async () => {
    const client = new Redis((server as RedisServer).url);
    await client.flushall();
    client.disconnect();
  });
  return {
    get url() {
      return (server as RedisServer).url;
    },
  };
}
