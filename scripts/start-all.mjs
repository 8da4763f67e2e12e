// `npm start`: builds the gateway and the mock upstream (each only when its sources changed), runs
// them together with their output prefixed, prints where they are once both answer, and stops both
// on SIGINT/SIGTERM or when either exits. It is the process npm starts, so signals sent to
// `npm start` reach it; the servers run in their own process group, so a terminal's Ctrl-C reaches
// them only through this script, once (a second signal would make the gateway exit at once).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// An unsupported Node is named before anything else can fail on it.
const { engines } = JSON.parse(readFileSync('package.json', 'utf8'));
try {
  const semver = createRequire(import.meta.url)('semver');
  if (!semver.satisfies(process.version, engines.node)) {
    console.warn(
      `Node ${process.version} is not supported (package.json engines: ${engines.node}). ` +
        `Install Node ${readFileSync('.nvmrc', 'utf8').trim()} (the version in .nvmrc, e.g. \`nvm use\`); ` +
        'starting anyway, but this Node is untested for production.',
    );
  }
} catch {
  // semver comes with `npm install`; without it there is nothing to compare with.
}

// .env (if any) for both servers, the mock's MOCK_* included; variables already set win.
if (existsSync('.env')) process.loadEnvFile('.env');

const gatewayPort = process.env.PORT || '3000';
const mockPort = process.env.MOCK_API_PORT || '3001';
const env = {
  ...process.env,
  PORT: gatewayPort,
  MOCK_API_PORT: mockPort,
  EVENT_API_BASE_URL: process.env.EVENT_API_BASE_URL || `http://localhost:${mockPort}`,
  // Local runs: Ctrl-C stops at once (no load balancer to drain).
  SHUTDOWN_DRAIN_MS: process.env.SHUTDOWN_DRAIN_MS || '0',
};
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The newest modification time under `paths` (files, or folders walked recursively). */
function newest(paths) {
  let latest = 0;
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      const entries = readdirSync(path).filter(
        (name) => name !== 'dist' && name !== 'node_modules',
      );
      latest = Math.max(latest, newest(entries.map((name) => join(path, name))));
    } else {
      latest = Math.max(latest, stat.mtimeMs);
    }
  }
  return latest;
}

// Each server is built only when its build is missing or older than its sources.
const shared = ['package.json', 'package-lock.json', 'tsconfig.json'];
const builds = [
  {
    script: 'build',
    output: 'dist/bundle/main.js',
    sources: [
      'src',
      'scripts/bundle.mjs',
      'scripts/bundle-externals.mjs',
      'tsconfig.build.json',
      'nest-cli.json',
      ...shared,
    ],
  },
  {
    script: 'build:mock',
    output: 'mock-api/dist/main.js',
    sources: ['mock-api/src', 'mock-api/tsconfig.json', ...shared],
  },
];
for (const { script, output, sources } of builds) {
  if (existsSync(output) && statSync(output).mtimeMs >= newest(sources)) continue;
  const build = spawnSync(npm, ['run', script, '--silent'], { stdio: 'inherit', env });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

let stopping = false;
const children = [
  { name: 'mock-api', args: ['mock-api/dist/main.js'] },
  { name: 'gateway ', args: ['dist/bundle/main.js'] },
].map(({ name, args }) => {
  // detached: a process group of its own, out of reach of the terminal's Ctrl-C (see the top).
  const child = spawn(process.execPath, args, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const prefix = (stream, out) => {
    let buffered = '';
    stream.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) out.write(`[${name}] ${line}\n`);
    });
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`[${name}] exited (${signal ?? code}); stopping the other one`);
    stopAll(code ?? (signal ? 1 : 0));
    // Once both are gone there is nothing left to wait for (not even the banner's checks).
    if (
      children.every(({ child: other }) => other.exitCode !== null || other.signalCode !== null)
    ) {
      process.exit(process.exitCode);
    }
  });
  return { name, child };
});

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
// Should this script end any other way, the servers (in their own group) must not outlive it.
process.on('exit', () => {
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
});

async function answers(url) {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

// The banner once both servers answer; if one fails to start, its error (above) is all there is.
for (let attempt = 0; attempt < 150 && !stopping; attempt += 1) {
  if (
    (await answers(`http://127.0.0.1:${gatewayPort}/health`)) &&
    (await answers(`http://127.0.0.1:${mockPort}/__mock/stats`))
  ) {
    console.log(
      [
        '',
        `Gateway:       http://localhost:${gatewayPort}`,
        `Swagger UI:    http://localhost:${gatewayPort}/docs        (OpenAPI JSON: /docs-json)`,
        `Mock upstream: http://localhost:${mockPort}`,
        '',
        'The mock fails creates the way the real Event API does: in every 15 calls to addEvent,',
        '5 succeed and 10 answer 503, so after a few creates the write breaker opens (503 with',
        'Retry-After). Start with MOCK_ADD_EVENT_CYCLE=off to turn the cycle off. Ctrl-C stops both.',
        '',
      ].join('\n'),
    );
    break;
  }
  await sleep(200);
}
