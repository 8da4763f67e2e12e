import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis } from './support/redis-server';

// `npm start` as a user runs it: build, both servers, the banner, and signals that stop both.

const ROOT = join(__dirname, '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves true when nothing accepts connections on the port any more. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });
}

function npmStart(env: Record<string, string>) {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, ...env, MOCK_NETWORK_ERROR_RATE: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own, as a terminal gives a foreground job: Ctrl-C signals the group.
    detached: true,
  });
  let output = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of waiters.filter((w) => output.includes(w.text))) waiter.resolve();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    child,
    exited,
    output: () => output,
    printed: (text: string) =>
      output.includes(text)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ text, resolve })),
  };
}

describe('npm start (e2e, real processes)', () => {
  let running: ChildProcess | undefined;
  let blocker: Server | undefined;
  let stopRedis: (() => Promise<void>) | undefined;

  afterEach(() => {
    if (running && running.exitCode === null) process.kill(-running.pid!, 'SIGKILL');
    blocker?.close();
  });

  afterAll(async () => {
    await stopRedis?.();
  });

  it('prints the banner once both answer, and stops both servers on SIGTERM, freeing both ports', async () => {
    const [gatewayPort, mockPort] = [await freePort(), await freePort()];
    const start = npmStart({ PORT: String(gatewayPort), MOCK_API_PORT: String(mockPort) });
    running = start.child;
    await start.printed('Mock upstream:');
    expect(start.output()).toContain(`Gateway:       http://localhost:${gatewayPort}`);
    expect(start.output()).toContain('MOCK_ADD_EVENT_CYCLE=off');
    const users = await fetch(`http://127.0.0.1:${gatewayPort}/users/1`);
    expect(users.status).toBe(200);

    start.child.kill('SIGTERM');
    expect(await start.exited).toBe(0);
    expect(await refused(gatewayPort)).toBe(true);
    expect(await refused(mockPort)).toBe(true);
  }, 120_000);

  it('stops gracefully, once, on a Ctrl-C that reaches the whole process group (with Redis)', async () => {
    // With REDIS_URL the gateway takes a while to close (the queue, Redis), long enough for a
    // second signal to arrive during its graceful stop.
    const redis = await startRedis();
    stopRedis = () => redis.stop();
    const [gatewayPort, mockPort] = [await freePort(), await freePort()];
    const start = npmStart({
      PORT: String(gatewayPort),
      MOCK_API_PORT: String(mockPort),
      REDIS_URL: redis.url,
    });
    running = start.child;
    await start.printed('Mock upstream:');

    process.kill(-start.child.pid!, 'SIGINT'); // what the terminal does on Ctrl-C
    expect(await start.exited).toBe(0);
    expect(start.output()).not.toContain('received again');
    expect(start.output()).not.toContain('exited (');
    expect(await refused(gatewayPort)).toBe(true);
    expect(await refused(mockPort)).toBe(true);
  }, 120_000);

  it('does not build again what has not changed since the last build', async () => {
    // The test above started (and so built) both servers; nothing has changed since.
    const built = () =>
      [
        join(ROOT, 'dist/main.js'),
        join(ROOT, 'dist/bundle/gateway.js'),
        join(ROOT, 'mock-api/dist/main.js'),
      ].map((file) => statSync(file).mtimeMs);
    const before = built();
    const [gatewayPort, mockPort] = [await freePort(), await freePort()];
    const start = npmStart({ PORT: String(gatewayPort), MOCK_API_PORT: String(mockPort) });
    running = start.child;
    await start.printed('Mock upstream:');
    expect(built()).toEqual(before);
    start.child.kill('SIGTERM');
    expect(await start.exited).toBe(0);
  }, 120_000);

  it('prints only the error, no banner, when the gateway cannot listen, and stops the mock', async () => {
    const [gatewayPort, mockPort] = [await freePort(), await freePort()];
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(gatewayPort, '0.0.0.0', resolve));
    const start = npmStart({ PORT: String(gatewayPort), MOCK_API_PORT: String(mockPort) });
    running = start.child;
    expect(await start.exited).not.toBe(0);
    expect(start.output()).toContain('EADDRINUSE');
    expect(start.output()).not.toContain('Swagger UI:');
    expect(await refused(mockPort)).toBe(true);
  }, 120_000);
});
