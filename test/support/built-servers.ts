import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { freePort } from './redis-server';

// The gateway and the mock as separate processes, for tests that must kill one (SIGKILL) the way
// Kubernetes or a crash would. Compiled with tsc into .test-build/ (not dist/, which `npm start`
// and the build own), once per test run (a stamp records which sources it was built from).

const ROOT = join(__dirname, '..', '..');
const OUT = join(ROOT, '.test-build');

function newestSource(dir: string): number {
  let newest = 0;
  const walk = (path: string): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) walk(join(path, entry));
    } else if (path.endsWith('.ts')) {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  walk(dir);
  return newest;
}

/**
 * Compiles the gateway and the mock into .test-build/ unless it is up to date, and bundles the
 * gateway as the production build does (scripts/bundle.mjs) into .test-build/bundle/.
 */
export function ensureBuilt(): { gateway: string; mock: string; bundle: string } {
  const stampFile = join(OUT, 'stamp');
  const stamp = String(
    Math.max(
      newestSource(join(ROOT, 'src')),
      newestSource(join(ROOT, 'mock-api', 'src')),
      statSync(join(ROOT, 'scripts', 'bundle.mjs')).mtimeMs,
    ),
  );
  const gateway = join(OUT, 'gateway', 'main.js');
  const mock = join(OUT, 'mock', 'main.js');
  const bundle = join(OUT, 'bundle', 'main.js');
  if (
    !existsSync(stampFile) ||
    readFileSync(stampFile, 'utf8') !== stamp ||
    !existsSync(gateway) ||
    !existsSync(bundle)
  ) {
    mkdirSync(OUT, { recursive: true });
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(
      process.execPath,
      [tsc, '-p', 'tsconfig.build.json', '--outDir', join(OUT, 'gateway')],
      { cwd: ROOT },
    );
    execFileSync(
      process.execPath,
      [tsc, '-p', 'mock-api/tsconfig.json', '--outDir', join(OUT, 'mock')],
      { cwd: ROOT },
    );
    execFileSync(
      process.execPath,
      [join(ROOT, 'scripts', 'bundle.mjs'), '--entry', gateway, '--out', join(OUT, 'bundle')],
      { cwd: ROOT },
    );
    writeFileSync(stampFile, stamp);
  }
  return { gateway, mock, bundle };
}

/** A server process, its output in a log file (read it when a test fails). */
export interface ServerProcess {
  readonly process: ChildProcess;
  readonly base: string;
  readonly log: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `script` with `env`, and resolves once `readyPath` answers 2xx on `port`. */
export async function startServer(
  name: string,
  script: string,
  port: number,
  env: Record<string, string>,
  readyPath: string,
): Promise<ServerProcess> {
  const log = join(OUT, `${name}.log`);
  const output = openSync(log, 'w');
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', output, output],
  });
  const base = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`${name} exited at start-up: see ${log}`);
    try {
      if ((await fetch(`${base}${readyPath}`)).ok) break;
    } catch {
      // not listening yet
    }
    if (attempt > 200) throw new Error(`${name} did not start: see ${log}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    process: child,
    base,
    log,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** The built mock upstream on a free port, with no random failures or delays unless `env` adds them. */
export async function startMock(
  name: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const port = await freePort();
  return startServer(
    name,
    ensureBuilt().mock,
    port,
    {
      MOCK_API_PORT: String(port),
      MOCK_NETWORK_ERROR_RATE: '0',
      MOCK_EVENT_LATENCY_MS: '0',
      MOCK_FAILURE_DELAY_MS: '0',
      ...env,
    },
    '/__mock/stats',
  );
}

/** The built gateway on a free port: production mode, quiet, no drain on stop, a high rate limit. */
export async function startGateway(
  name: string,
  env: Record<string, string>,
  readyPath = '/ready',
  /** The entry to run: tsc's output by default, or the bundle (`ensureBuilt().bundle`). */
  script = ensureBuilt().gateway,
): Promise<ServerProcess> {
  const port = await freePort();
  return startServer(
    name,
    script,
    port,
    {
      PORT: String(port),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '100000',
      SHUTDOWN_DRAIN_MS: '0',
      ...env,
    },
    readyPath,
  );
}
