// `npm run bench` (after building the gateway and the mock): the gateway against a plain Fastify +
// fetch baseline (bench/baseline-server.mjs), side by side in one run, on loopback, in front of the
// mock upstream. Scenarios: fan-out latency, read throughput, the open write breaker, memory and
// decay under repeated load, cold start-up. Progress goes to stderr; the summary table to stdout;
// report.md, chart.svg, results.json and the servers' logs to bench-results/<timestamp>/.
// See bench/README.md for what each figure means and how to read it.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, release, totalmem, type, arch } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import { renderChart } from './lib/chart.mjs';
import {
  callOk,
  compareAnswers,
  createFanOutUsers,
  CREATE_EVENT_BODY,
  FAN_OUT_USERS,
  mockControl,
  openWriteBreaker,
  totalCalls,
} from './lib/http.mjs';
import { load, loadProblems, median, timed } from './lib/load.mjs';
import {
  cpuShares,
  cpuSnapshot,
  freePort,
  isStopping,
  memoryMiB,
  startNode,
  stop,
  stopAll,
  stopChildrenOnExit,
  waitUntilReady,
} from './lib/processes.mjs';
import { buildRows, renderMarkdown, renderTable } from './lib/report.mjs';
import { gatewayEnv, loadSettings, mockEnv } from './lib/settings.mjs';

let settings;
try {
  settings = loadSettings();
} catch (error) {
  process.stderr.write(`bench: ${error.message}\n`);
  process.exit(2);
}
const startedAt = new Date();
const stamp = startedAt
  .toISOString()
  .replace(/\.\d+Z$/, 'Z')
  .replaceAll(':', '-');
const outDir = join(settings.outDir, stamp);
const clock = performance.now();

const progress = (message) =>
  process.stderr.write(
    `[${((performance.now() - clock) / 1000).toFixed(1).padStart(5)} s] ${message}\n`,
  );

const results = {
  meta: describeRun(),
  startup: {},
  idleRss: {},
  fanOut: { sizes: {} },
  throughput: {},
  decay: { runs: [] },
  openBreaker: {},
  memoryAfterLoad: {},
  answerDifferences: [],
  warnings: [],
  errors: [],
};

const warn = (message) => {
  results.warnings.push(message);
  progress(`!! ${message}`);
};

/** Runs one scenario; a failure is recorded and the bench goes on with the next one. */
async function phase(name, fn) {
  if (isStopping()) return; // Ctrl-C: the servers are going away, nothing more to measure
  progress(`-- ${name}`);
  try {
    await fn();
  } catch (error) {
    if (isStopping()) return;
    results.errors.push(`${name}: ${error.message}`);
    progress(`!! ${name} failed: ${error.message}`);
  }
}

/** Baseline first in even scenarios, gateway first in odd ones: neither always gets the warm slot. */
let scenario = 0;
const inTurn = (servers) => (scenario++ % 2 === 0 ? servers : [...servers].reverse());

function describeRun() {
  const git = (...args) => {
    try {
      return execFileSync('git', args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return undefined;
    }
  };
  return {
    startedAt: startedAt.toISOString(),
    quick: settings.quick,
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: totalmem() / 2 ** 30,
      loadAverage: loadavg(),
      node: process.version,
      os: `${type()} ${release()} ${arch()}`,
    },
    commit: git('rev-parse', '--short', 'HEAD'),
    // dist/ is built from the working tree: say so when it differs from the commit.
    uncommittedSourceChanges: Boolean(git('status', '--porcelain', '--', 'src', 'mock-api/src')),
    settings: { ...settings, gatewayEnvOverrides: undefined },
    gatewayEnv: gatewayEnv({
      port: '<port>',
      upstream: '<mock>',
      overrides: settings.gatewayEnvOverrides,
      nodeOptions: settings.nodeOptions,
    }),
    dotEnvPresent: existsSync('.env'),
  };
}

/** The two servers under test: how to start each, where it is ready, its log file. */
function serverKinds(upstream) {
  return [
    {
      key: 'baseline',
      script: 'bench/baseline-server.mjs',
      env: (port) => ({
        ...(settings.nodeOptions ? { NODE_OPTIONS: settings.nodeOptions } : {}),
        PORT: String(port),
        EVENT_API_BASE_URL: upstream,
        BASELINE_BREAKER_OPEN_MS: '3600000',
      }),
      readyPath: '/',
    },
    {
      key: 'gateway',
      script: 'dist/main.js',
      env: (port) =>
        gatewayEnv({
          port,
          upstream,
          overrides: settings.gatewayEnvOverrides,
          nodeOptions: settings.nodeOptions,
        }),
      readyPath: '/ready',
      fallbackPath: '/health',
    },
  ];
}

async function startServer(kind) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startNode(kind.key, [kind.script], {
    env: kind.env(port),
    logPath: join(outDir, `${kind.key}.log`),
  });
  const readyMs = await waitUntilReady(child, url + kind.readyPath, {
    fallbackUrl: kind.fallbackPath && url + kind.fallbackPath,
  });
  return { key: kind.key, url, child, readyMs };
}

async function measureStartups(kinds) {
  for (const kind of kinds) results.startup[kind.key] = { samples: [] };
  for (let i = 0; i < settings.startups; i += 1) {
    for (const kind of inTurn(kinds)) {
      const server = await startServer(kind);
      await stop(server.child);
      results.startup[kind.key].samples.push(server.readyMs);
    }
  }
  for (const kind of kinds) {
    const entry = results.startup[kind.key];
    entry.median = median(entry.samples);
    progress(`   ${kind.key}: ${entry.samples.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  }
}

async function measureFanOut(servers, mock, mockUrl) {
  await mock.configure({ eventLatencyMs: settings.latencyMs });
  // One upstream round trip as the servers make it: one event fetch, loopback, keep-alive.
  const roundTrips = [];
  await callOk(`${mockUrl}/getEventById/${FAN_OUT_USERS[1]}-1`);
  for (let i = 0; i < 5; i += 1) {
    roundTrips.push(await timed(() => callOk(`${mockUrl}/getEventById/${FAN_OUT_USERS[1]}-1`)));
  }
  results.fanOut.roundTripMs = median(roundTrips);
  results.fanOut.latencyMs = settings.latencyMs;
  progress(`   one upstream round trip: ${results.fanOut.roundTripMs.toFixed(1)} ms`);
  for (const n of settings.fanOutSizes) {
    const entry = (results.fanOut.sizes[n] = {});
    for (const server of inTurn(servers)) {
      const url = `${server.url}/users/${FAN_OUT_USERS[n]}/events`;
      const fetchAll = async () => {
        const events = await callOk(url);
        if (!Array.isArray(events) || events.length !== n) {
          throw new Error(
            `${server.key} ${url}: expected ${n} events, got ${JSON.stringify(events).slice(0, 80)}`,
          );
        }
      };
      await fetchAll(); // warm-up (connections, JIT), not counted
      const samples = [];
      for (let i = 0; i < settings.fanOutRepeats; i += 1) samples.push(await timed(fetchAll));
      entry[server.key] = { median: median(samples), samples };
    }
    progress(
      `   N=${n}: gateway ${entry.gateway.median.toFixed(0)} ms, baseline ${entry.baseline.median.toFixed(0)} ms`,
    );
  }
  await mock.configure({ eventLatencyMs: 0 });
}

async function measureThroughput(servers, mock) {
  const routes = [
    ['users', '/users'],
    ['userEvents', `/users/${FAN_OUT_USERS[10]}/events`],
  ];
  for (const [key, path] of routes) {
    const entry = (results.throughput[key] = { path });
    for (const server of inTurn(servers)) {
      const url = server.url + path;
      if (settings.warmupS > 0) {
        await load({ url, connections: settings.connections, durationS: settings.warmupS });
      }
      const before = totalCalls(await mock.settled());
      const run = await load({
        url,
        connections: settings.connections,
        durationS: settings.durationS,
      });
      run.upstreamCallsPerAnswer = (totalCalls(await mock.settled()) - before) / run.answers;
      for (const problem of loadProblems(run)) warn(`${server.key} GET ${path}: ${problem}`);
      entry[server.key] = run;
      progress(
        `   ${server.key.padEnd(8)} GET ${path}: ${run.rps.toFixed(0)} req/s, p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms`,
      );
    }
  }
}

async function measureDecay(servers, mock) {
  const path = `/users/${FAN_OUT_USERS[10]}/events`;
  results.decay.path = path;
  for (let i = 0; i < settings.decayRuns; i += 1) {
    const entry = {};
    for (const server of inTurn(servers)) {
      const run = await load({
        url: server.url + path,
        connections: settings.connections,
        durationS: settings.decayRunS,
      });
      for (const problem of loadProblems(run)) warn(`${server.key} decay run ${i + 1}: ${problem}`);
      entry[server.key] = { rps: run.rps, p99: run.p99, ...memoryMiB(server.child.pid) };
      await mock.settled(); // the next run starts on a quiet machine
    }
    results.decay.runs.push(entry);
    progress(
      `   run ${i + 1}: gateway ${entry.gateway.rps.toFixed(0)} req/s ${entry.gateway.rss.toFixed(0)} MiB, baseline ${entry.baseline.rps.toFixed(0)} req/s ${entry.baseline.rss.toFixed(0)} MiB`,
    );
  }
  for (const server of servers) results.memoryAfterLoad[server.key] = memoryMiB(server.child.pid);
}

async function measureOpenBreaker(servers, mock) {
  await mock.configure({ addEventMode: 'fail', failureDelayMs: 0 });
  const body = CREATE_EVENT_BODY;
  const headers = { 'content-type': 'application/json' };
  for (const server of inTurn(servers)) {
    const url = `${server.url}/events`;
    // Settled first: the previous phase's last requests may still be calling the upstream.
    const beforeTrip = totalCalls(await mock.settled());
    const tripStatuses = await openWriteBreaker(server.url);
    const before = await mock.settled();
    const tripUpstreamCalls = totalCalls(before) - beforeTrip;
    if (settings.warmupS > 0) {
      await load({
        url,
        method: 'POST',
        body,
        headers,
        connections: settings.connections,
        durationS: settings.warmupS,
      });
    }
    const saturated = await load({
      url,
      method: 'POST',
      body,
      headers,
      connections: settings.connections,
      durationS: settings.durationS,
    });
    const fixedRate = await load({
      url,
      method: 'POST',
      body,
      headers,
      connections: settings.fixedRateConnections,
      overallRate: settings.fixedRate,
      durationS: settings.durationS,
    });
    const after = await mock.settled();
    const byRoute = {};
    for (const [route, n] of Object.entries(after.calls)) {
      const delta = n - (before.calls[route] ?? 0);
      if (delta > 0) byRoute[route] = delta;
    }
    const upstreamCalls = totalCalls({ calls: byRoute });
    for (const [name, run] of [
      ['saturated', saturated],
      ['fixed rate', fixedRate],
    ]) {
      for (const problem of loadProblems(run, 503))
        warn(`${server.key} open breaker ${name}: ${problem}`);
    }
    results.openBreaker[server.key] = {
      tripStatuses,
      tripUpstreamCalls,
      saturated,
      fixedRate,
      upstreamCalls,
      upstreamCallsByRoute: byRoute,
    };
    progress(
      `   ${server.key.padEnd(8)} opened after ${tripStatuses.join(',')}; ${saturated.rps.toFixed(0)} req/s, p99 ${fixedRate.p99.toFixed(2)} ms at ${settings.fixedRate} req/s, ${upstreamCalls} upstream calls`,
    );
  }
  await mock.configure({ addEventMode: 'ok' });
}

function writeOutputs() {
  const rows = buildRows(results, settings);
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, 'report.md'), renderMarkdown(results, settings, rows));
  writeFileSync(join(outDir, 'chart.svg'), renderChart(results, settings));
  return rows;
}

/** bench-results/latest: a symlink to this run's folder (a copy where symlinks are not possible). */
function linkLatest() {
  const latest = join(settings.outDir, 'latest');
  rmSync(latest, { recursive: true, force: true });
  try {
    symlinkSync(stamp, latest, 'dir');
  } catch {
    cpSync(outDir, latest, { recursive: true });
  }
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  stopChildrenOnExit();
  for (const file of ['dist/main.js', 'mock-api/dist/main.js']) {
    if (!existsSync(file))
      throw new Error(`${file} is missing: run npm run bench (it builds first)`);
  }
  if (results.meta.dotEnvPresent)
    warn('a .env file is present: the gateway reads it (unset variables only)');
  progress(`bench${settings.quick ? ' (quick)' : ''}: output in ${outDir}`);

  const mockPort = await freePort();
  const mockUrl = `http://127.0.0.1:${mockPort}`;
  const mockChild = startNode('mock', ['mock-api/dist/main.js'], {
    env: mockEnv({ port: mockPort }),
    logPath: join(outDir, 'mock.log'),
  });
  await waitUntilReady(mockChild, `${mockUrl}/__mock/config`);
  const mock = mockControl(mockUrl);
  await createFanOutUsers(mock);

  const kinds = serverKinds(mockUrl);
  await phase(`start-up: ${settings.startups} cold starts each`, () => measureStartups(kinds));

  progress('-- starting the servers under test');
  const servers = [];
  for (const kind of kinds) servers.push(await startServer(kind));
  await sleep(1_000); // idle: let start-up work (timers, lazy init) settle before reading RSS
  for (const server of servers) results.idleRss[server.key] = memoryMiB(server.child.pid).rss;
  results.answerDifferences = await compareAnswers(
    servers.find((s) => s.key === 'gateway').url,
    servers.find((s) => s.key === 'baseline').url,
    [
      '/users',
      '/users/1',
      `/users/${FAN_OUT_USERS[10]}/events`,
      '/users/4/events',
      '/events',
      '/events/7',
    ],
  );
  for (const difference of results.answerDifferences) warn(`answers differ: ${difference}`);

  await phase(`fan-out, mock event latency ${settings.latencyMs} ms`, () =>
    measureFanOut(servers, mock, mockUrl),
  );
  await phase(`throughput, ${settings.connections} connections, ${settings.durationS} s`, () =>
    measureThroughput(servers, mock),
  );
  await phase(`memory and decay, ${settings.decayRuns} x ${settings.decayRunS} s`, () =>
    measureDecay(servers, mock),
  );
  // Last: it leaves both write breakers open for an hour.
  await phase('open write breaker', () => measureOpenBreaker(servers, mock));
}

const cpuAtStart = cpuSnapshot();
let exitCode = 0;
try {
  await main();
} catch (error) {
  results.errors.push(error.message);
  progress(`!! ${error.stack ?? error.message}`);
  exitCode = 1;
} finally {
  progress('-- stopping the servers');
  await stopAll();
}
// Once every child has been stopped and reaped, their CPU time is in this process's own account.
results.meta.cpu = cpuShares(cpuAtStart, cpuSnapshot(), cpus().length);
if (results.meta.cpu.others > 0.1 || results.meta.cpu.steal > 0.05) {
  warn(
    `other programs used ${(results.meta.cpu.others * 100).toFixed(0)}% of the machine's CPU during the run (steal ${(results.meta.cpu.steal * 100).toFixed(0)}%): figures are noisier than usual`,
  );
}

/** Request logs at info level run to tens of MiB: big ones are kept gzipped (read with zless). */
async function compressLargeLogs() {
  for (const name of ['gateway.log', 'baseline.log', 'mock.log']) {
    const path = join(outDir, name);
    if (!existsSync(path) || statSync(path).size < 5 * 2 ** 20) continue;
    await pipeline(createReadStream(path), createGzip(), createWriteStream(`${path}.gz`));
    rmSync(path);
    progress(`${name} gzipped: ${(statSync(`${path}.gz`).size / 2 ** 20).toFixed(1)} MiB`);
  }
}

if (existsSync(outDir)) {
  results.meta.durationS = (performance.now() - clock) / 1000;
  const rows = writeOutputs();
  process.stdout.write(`\n${renderTable(results, settings, rows)}\n`);
  await compressLargeLogs();
  linkLatest();
  progress(`report: ${join(outDir, 'report.md')}, chart: ${join(outDir, 'chart.svg')}`);
}
if (results.errors.length > 0) exitCode = 1;
process.exit(exitCode);
