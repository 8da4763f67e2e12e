// `npm run bench` (after building the gateway and the mock): the gateway against a plain Fastify +
// fetch baseline (bench/baseline-server.mjs), side by side in one run, on loopback, in front of the
// mock upstream. Scenarios: fan-out latency, read throughput, the open write breaker, memory and
// decay under repeated load, cold start-up (bundle, unbundled, with Redis), a cache hit
// against two anchors: a bare-Fastify ceiling (bench/ceiling-server.mjs) and nginx as a caching
// proxy (when installed), fan-outs with one straggler in fifty (hedging on and off) and reads
// past the upstream's capacity (the adaptive concurrency limit on and off). BENCH_SCENARIOS picks a subset. Progress goes to stderr; the summary table to stdout;
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
import { Agent } from 'node:http';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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
import { load, loadProblems, median, pickLoadTool, timed } from './lib/load.mjs';
import { openLoad, preconnect } from './lib/open-loop.mjs';
import { extraCallShare, fanOutFigures } from './lib/tail.mjs';
import { prepareNginx } from './lib/nginx.mjs';
import {
  cpuShares,
  cpuSnapshot,
  freePort,
  isStopping,
  memoryMiB,
  processTreeCpuTicks,
  startNode,
  startProgram,
  stop,
  stopAll,
  stopChildrenOnExit,
  waitUntilReady,
} from './lib/processes.mjs';
import { onPath } from './lib/wrk.mjs';
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
/** The gateway every scenario runs: the production bundle when it is built. */
const gatewayEntry =
  settings.gatewayEntry ??
  (existsSync('dist/bundle/main.js') ? 'dist/bundle/main.js' : 'dist/main.js');
const want = (name) => settings.scenarios.includes(name);
const clock = performance.now();

const progress = (message) =>
  process.stderr.write(
    `[${((performance.now() - clock) / 1000).toFixed(1).padStart(5)} s] ${message}\n`,
  );

const results = {
  meta: describeRun(),
  startup: {},
  idleRss: {},
  cacheHit: {},
  fanOut: { sizes: {} },
  throughput: {},
  decay: { runs: [] },
  openBreaker: {},
  straggler: {},
  overload: {},
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
    scenarios: settings.scenarios,
    gatewayEntry,
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
    tools: {
      wrk: onPath('wrk') ?? null,
      nginx: onPath('nginx') ?? null,
      redisServer: onPath('redis-server') ?? null,
      taskset: onPath('taskset') ?? null,
    },
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
    gatewayKind({ key: 'gateway', upstream }),
  ];
}

/** The gateway (`script`, the bench's entry by default) with `extraEnv` over the bench's env. */
function gatewayKind({ key, upstream, script = gatewayEntry, extraEnv = {} }) {
  return {
    key,
    script,
    env: (port) =>
      gatewayEnv({
        port,
        upstream,
        overrides: { ...settings.gatewayEnvOverrides, ...extraEnv },
        nodeOptions: settings.nodeOptions,
      }),
    readyPath: '/ready',
    fallbackPath: '/health',
  };
}

async function startServer(kind, { readyPath = kind.readyPath } = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startNode(kind.key, [kind.script], {
    env: kind.env(port),
    logPath: join(outDir, `${kind.logName ?? kind.key}.log`),
  });
  const readyMs = await waitUntilReady(child, url + readyPath, {
    fallbackUrl: kind.fallbackPath && url + kind.fallbackPath,
  });
  return { key: kind.key, url, child, readyMs };
}

/** Resolves once a Redis server answers PING on `port` (10 s at most). */
async function waitForRedis(child, port) {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error('redis-server exited before it was ready');
    }
    const pong = await new Promise((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.setTimeout(500, () => socket.destroy());
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('close', () => resolve(false));
    });
    if (pong) return;
    await sleep(20);
  }
  throw new Error(`redis-server did not answer PING on port ${port}`);
}

/**
 * Cold starts: spawn to the first 200 on /health (gateway variants) or / (baseline), median of
 * BENCH_STARTUPS; and RSS 1 s after each start (idle), median too. Variants: the bench's gateway
 * entry (the bundle, its compile cache warm after the first start), the bundle without the compile
 * cache, the unbundled dist/main.js, the entry with REDIS_URL on a redis-server
 * started here (when redis-server is on PATH), and the baseline.
 */
async function measureStartups(mockUrl) {
  const kinds = [
    { ...gatewayKind({ key: 'gateway', upstream: mockUrl }), logName: 'startup-gateway' },
  ];
  const notes = (results.startup.notes = []);
  if (gatewayEntry !== 'dist/main.js' && existsSync('dist/main.js')) {
    kinds.push({
      ...gatewayKind({ key: 'unbundled', upstream: mockUrl, script: 'dist/main.js' }),
      logName: 'startup-unbundled',
    });
  } else notes.push('unbundled: not measured (the gateway entry is dist/main.js already)');
  if (gatewayEntry.startsWith('dist/bundle/')) {
    // The bundle's entry turns Node's compile cache on; the starts above find it warm after the
    // first. A new pod has none yet: this is its start-up.
    kinds.push({
      ...gatewayKind({
        key: 'noCompileCache',
        upstream: mockUrl,
        extraEnv: { NODE_DISABLE_COMPILE_CACHE: '1' },
      }),
      logName: 'startup-no-compile-cache',
    });
  }
  let redis;
  if (onPath('redis-server')) {
    const port = await freePort();
    redis = startProgram(
      'redis-server',
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { logPath: join(outDir, 'redis.log') },
    );
    await waitForRedis(redis, port);
    kinds.push({
      ...gatewayKind({
        key: 'withRedis',
        upstream: mockUrl,
        extraEnv: { REDIS_URL: `redis://127.0.0.1:${port}` },
      }),
      logName: 'startup-with-redis',
    });
    results.startup.redisUrl = `redis://127.0.0.1:${port}`;
  } else {
    notes.push(
      'with REDIS_URL: skipped, redis-server is not on PATH (apt-get install redis-server)',
    );
    progress(
      '   redis-server not on PATH (apt-get install redis-server): start-up with REDIS_URL skipped',
    );
  }
  const baseline = serverKinds(mockUrl).find((kind) => kind.key === 'baseline');
  kinds.push({ ...baseline, logName: 'startup-baseline' });
  try {
    for (const kind of kinds) results.startup[kind.key] = { samples: [], rssSamples: [] };
    for (let i = 0; i < settings.startups; i += 1) {
      for (const kind of inTurn(kinds)) {
        const readyPath = kind.key === 'baseline' ? '/' : '/health';
        const server = await startServer(kind, { readyPath });
        await sleep(1_000); // idle: let start-up work (timers, lazy init) settle before reading RSS
        const { rss } = memoryMiB(server.child.pid);
        await stop(server.child);
        results.startup[kind.key].samples.push(server.readyMs);
        results.startup[kind.key].rssSamples.push(rss);
      }
    }
  } finally {
    if (redis) await stop(redis);
  }
  for (const kind of kinds) {
    const entry = results.startup[kind.key];
    entry.script = kind.script;
    entry.median = median(entry.samples);
    entry.rss = median(entry.rssSamples);
    results.idleRss[kind.key] = entry.rss;
    progress(
      `   ${kind.key.padEnd(14)}: ${entry.samples.map((ms) => ms.toFixed(0)).join(', ')} ms; idle RSS ${entry.rssSamples.map((mib) => mib.toFixed(0)).join(', ')} MiB`,
    );
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

/**
 * The variants of the straggler and overload scenarios: the gateway as shipped (`on`), with
 * `sizedEnv` when given (`sized`: settings an operator would size to this upstream), with `offEnv`
 * (`off`: the feature under test turned off), and the baseline; each with the settings it
 * runs with and the prefix of its routes (the gateway's current version, /v1; the baseline has
 * only the unversioned paths). `env`: what both gateways get on top of the bench's environment.
 */
function tailVariants(mockUrl, { name, env, offEnv, sizedEnv }) {
  const baseline = serverKinds(mockUrl).find((kind) => kind.key === 'baseline');
  return [
    { key: 'on', env, prefix: '/v1' },
    ...(sizedEnv ? [{ key: 'sized', env: { ...env, ...sizedEnv }, prefix: '/v1' }] : []),
    { key: 'off', env: { ...env, ...offEnv }, prefix: '/v1' },
  ]
    .map((variant) => ({
      ...variant,
      kind: {
        ...gatewayKind({ key: 'gateway', upstream: mockUrl, extraEnv: variant.env }),
        logName: `${name}-gateway-${variant.key}`,
      },
    }))
    .concat({
      key: 'baseline',
      env: {},
      prefix: '',
      kind: { ...baseline, logName: `${name}-baseline` },
    });
}

/** Median of `n` sequential GETs of `url` (after one unmeasured), in ms. */
async function roundTrip(url, n = 10) {
  await callOk(url);
  const samples = [];
  for (let i = 0; i < n; i += 1) samples.push(await timed(() => callOk(url)));
  return median(samples);
}

/**
 * Straggler: the mock answers each event fetch in 50 ms except every 50th, which takes 2 s; GET
 * /users/9050/events (50 events), one request at a time, on the gateway with hedged reads (as
 * shipped), without (UPSTREAM_HEDGE_READS=false), and on the baseline; each in a process of its
 * own with the read cache fully off. Per variant: a warm-up and a few fan-outs without stragglers,
 * then the straggler period is set (its count starts there) and BENCH_STRAGGLER_REPEATS fan-outs
 * are timed; the mock counts the event fetches they cost.
 */
async function measureStraggler(mock, mockUrl) {
  const s = settings.straggler;
  const entry = results.straggler;
  const userId = FAN_OUT_USERS[s.events];
  Object.assign(entry, {
    eventLatencyMs: s.eventLatencyMs,
    every: s.every,
    stragglerLatencyMs: s.stragglerLatencyMs,
    events: s.events,
    repeats: s.repeats,
    variants: {},
  });
  await mock.configure({
    eventLatencyMs: s.eventLatencyMs,
    eventStragglerEvery: 0,
    eventStragglerLatencyMs: s.stragglerLatencyMs,
  });
  try {
    entry.roundTripMs = await roundTrip(`${mockUrl}/getEventById/${userId}-1`);
    progress(
      `   one upstream round trip (the mock's event fetch): ${entry.roundTripMs.toFixed(1)} ms`,
    );
    const variants = tailVariants(mockUrl, {
      name: 'straggler',
      env: { READ_CACHE_TTL_MS: '0', READ_CACHE_STALE_IF_ERROR_MS: '0' },
      offEnv: { UPSTREAM_HEDGE_READS: 'false' },
    });
    for (const variant of variants) {
      const server = await startServer(variant.kind);
      try {
        const url = `${server.url}${variant.prefix}/users/${userId}/events`;
        const fetchAll = async () => {
          const events = await callOk(url);
          if (!Array.isArray(events) || events.length !== s.events) {
            throw new Error(
              `${variant.key} ${url}: expected ${s.events} events, got ${JSON.stringify(events).slice(0, 80)}`,
            );
          }
        };
        await mock.configure({ eventStragglerEvery: 0 });
        await fetchAll(); // warm-up (connections, JIT), not counted
        const calmSamples = [];
        for (let i = 0; i < s.calmRepeats; i += 1) calmSamples.push(await timed(fetchAll));
        // The count of the straggler period starts now: the 50th, 100th, ... fetch is slow.
        await mock.configure({ eventStragglerEvery: s.every });
        const before = await mock.settled();
        const samples = [];
        for (let i = 0; i < s.repeats; i += 1) samples.push(await timed(fetchAll));
        await mock.configure({ eventStragglerEvery: 0 });
        const after = await mock.idle();
        const eventCalls =
          (after.calls['/getEventById/:id'] ?? 0) - (before.calls['/getEventById/:id'] ?? 0);
        const figures = fanOutFigures(samples, entry.roundTripMs);
        entry.variants[variant.key] = {
          env: variant.env,
          path: `${variant.prefix}/users/${userId}/events`,
          samples,
          calmSamples,
          calmMedian: median(calmSamples),
          ...figures,
          eventCalls,
          stragglers: after.load.stragglers - before.load.stragglers,
          extraCalls: extraCallShare(eventCalls, s.repeats, s.events),
        };
        const v = entry.variants[variant.key];
        progress(
          `   ${variant.key.padEnd(8)} p50 ${v.p50.toFixed(0)} ms (${v.p50Ratio.toFixed(2)}x rt), slowest ${v.max.toFixed(0)} ms (${v.maxRatio.toFixed(2)}x), ${eventCalls} event fetches for ${s.repeats} fan-outs (+${(v.extraCalls * 100).toFixed(1)}%), ${v.stragglers} stragglers; without stragglers p50 ${v.calmMedian.toFixed(0)} ms`,
        );
      } finally {
        await stop(server.child);
      }
    }
  } finally {
    await mock.configure({ eventLatencyMs: 0, eventStragglerEvery: 0 });
  }
}

/** A user with this many events: the ids the overload scenario goes round. */
const OVERLOAD_USER = '9801';

/**
 * Overload: the mock answers reads in 100 ms up to 32 calls in flight; past that, each read costs
 * 10 ms more per call over and a quarter of them are refused 503 (a knee). An open-loop load of
 * GET /events/:id (1000 distinct ids in turn, so no two requests in flight share one) at twice
 * what the upstream answers at its knee, from at most BENCH_OVERLOAD_CLIENTS at once, on the
 * gateway with its adaptive concurrency limit (as shipped), the same sized to this upstream
 * (UPSTREAM_MAX_CONCURRENCY at its knee), without the limit (UPSTREAM_ADAPTIVE_CONCURRENCY=false),
 * and on the baseline; each in a process of its own with the read cache fully off and production
 * breaker timings. Per variant: the clients' connections opened, an unmeasured warm-up at a quarter
 * of the knee (its 2xx p50: the unloaded round trip through that server), then the run.
 */
async function measureOverload(mock, mockUrl) {
  const o = settings.overload;
  const entry = results.overload;
  Object.assign(entry, {
    eventLatencyMs: o.eventLatencyMs,
    capacity: o.capacity,
    overloadLatencyMsPerCall: o.overloadLatencyMsPerCall,
    overloadErrorRate: o.overloadErrorRate,
    rate: o.rate,
    clients: o.clients,
    durationS: o.durationS,
    kneeRate: (o.capacity * 1000) / o.eventLatencyMs,
    variants: {},
  });
  await mock.createUser(OVERLOAD_USER, o.ids);
  await mock.configure({ eventLatencyMs: o.eventLatencyMs, capacity: 0 });
  try {
    entry.roundTripMs = await roundTrip(`${mockUrl}/getEventById/${OVERLOAD_USER}-1`);
    progress(
      `   unloaded upstream round trip: ${entry.roundTripMs.toFixed(1)} ms; the upstream answers at most ~${entry.kneeRate.toFixed(0)} reads/s at its knee; offered ${o.rate} req/s`,
    );
    await mock.configure({
      capacity: o.capacity,
      overloadLatencyMsPerCall: o.overloadLatencyMsPerCall,
      overloadErrorRate: o.overloadErrorRate,
    });
    const variants = tailVariants(mockUrl, {
      name: 'overload',
      env: {
        READ_CACHE_TTL_MS: '0',
        READ_CACHE_STALE_IF_ERROR_MS: '0',
        // Production's breaker timings (the bench's other scenarios keep an opened breaker open).
        CIRCUIT_BREAKER_RESET_TIMEOUT_MS: '10000',
        CIRCUIT_BREAKER_MAX_RESET_TIMEOUT_MS: '60000',
      },
      offEnv: { UPSTREAM_ADAPTIVE_CONCURRENCY: 'false' },
      // One request's fan-out no wider than the upstream's knee: the limit starts there too.
      sizedEnv: { UPSTREAM_MAX_CONCURRENCY: String(o.capacity) },
    });
    let next = 0; // ids go on from variant to variant
    const urlOf = (base) => () => `${base}/events/${OVERLOAD_USER}-${(next++ % o.ids) + 1}`;
    for (const variant of variants) {
      const server = await startServer(variant.kind);
      // The clients hold their connections before the load comes (as a service's clients keep
      // theirs): the step is in requests, not in new connections. 256 connections opened at once
      // into a server near a full core wait in the kernel's accept queue for up to 2 s here,
      // before any admission control can see them (performance.md).
      const agent = new Agent({ keepAlive: true, maxSockets: o.clients });
      try {
        const base = server.url + variant.prefix;
        const healthUrl = server.url + (variant.key === 'baseline' ? '/' : '/health');
        const connections = await preconnect({ agent, url: healthUrl, count: o.clients });
        const warmup = await openLoad({
          urlOf: urlOf(base),
          ratePerS: Math.max(1, Math.round(entry.kneeRate / 4)),
          durationS: o.warmupS,
          maxInFlight: o.clients,
          agent,
        });
        await mock.idle();
        await mock.resetStats();
        const run = await openLoad({
          urlOf: urlOf(base),
          ratePerS: o.rate,
          durationS: o.durationS,
          maxInFlight: o.clients,
          agent,
        });
        const after = await mock.idle();
        entry.variants[variant.key] = {
          env: variant.env,
          path: `${variant.prefix}/events/:id`,
          unloaded: { p50Ok: warmup.p50Ok, statuses: warmup.statuses },
          connections,
          ...run,
          upstream: { calls: totalCalls(after), ...after.load },
        };
        progress(
          `   ${variant.key.padEnd(8)} goodput ${run.goodput.toFixed(0)} 2xx/s, refused ${run.refusalsRate.toFixed(0)} 503/s, other failures ${run.failuresRate.toFixed(0)}/s, unsent ${run.unsentRate.toFixed(0)}/s; 2xx p50 ${run.p50Ok.toFixed(0)} ms p99 ${run.p99Ok.toFixed(0)} ms (${run.p99OkAfterFirstSecond.toFixed(0)} ms sent after the first second; unloaded ${warmup.p50Ok.toFixed(0)}); upstream ${totalCalls(after)} calls, peak ${after.load.peakInFlight} in flight, ${after.load.overloadErrors} overload 503s; ${connections} connections held, the load generator's event-loop delay p99 ${run.generatorDelayMs.p99.toFixed(0)} ms, max ${run.generatorDelayMs.max.toFixed(0)} ms`,
        );
      } finally {
        agent.destroy();
        await stop(server.child);
      }
    }
  } finally {
    await mock.configure({ eventLatencyMs: 0, capacity: 0 });
  }
}

/** Lines of the gateway's log for GET `url`, and how many carry a correlation id and a trace id. */
async function countRequestLines(logPath, url) {
  const lines = createInterface({ input: createReadStream(logPath), crlfDelay: Infinity });
  const needle = `"url":"${url}"`;
  let [total, withIds] = [0, 0];
  for await (const line of lines) {
    if (!line.includes(needle)) continue;
    total += 1;
    if (/"correlationId":"[^"]+"/.test(line) && /"trace_?[iI]d":"[0-9a-f]{32}"/.test(line))
      withIds += 1;
  }
  return { total, withIds };
}

/** The count of the gateway's request-duration histogram for one route, from GET /metrics. */
async function histogramCount(baseUrl, route) {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let count = 0;
  let name;
  for (const line of text.split('\n')) {
    const match = /^(\w+)_count\{([^}]*)\} (\d+(?:\.\d+)?)$/.exec(line);
    if (!match || !match[2].includes(`route="${route}"`)) continue;
    if (!/request_duration|http_server_duration|http_request/.test(match[1])) continue;
    name = match[1];
    count += Number(match[3]);
  }
  return { name, count: name ? count : undefined };
}

/**
 * Cache hit: GET /users/1 on the gateway with its read cache on (READ_CACHE_TTL_MS=5000, the rest
 * as in production), on the bare-Fastify ceiling answering the same bytes, and on nginx caching
 * the mock (when installed). Warm-up of each first, then BENCH_CACHE_HIT_ROUNDS rounds, each
 * server once per round, the order alternating; per server: req/s, p50, p99, CPU per request
 * (its process tree's utime + stime over the run), upstream calls during the runs.
 */
async function measureCacheHit(mock, mockUrl) {
  const tool = pickLoadTool({ preferred: settings.tool, wrkCpus: settings.wrkCpus });
  const path = '/users/1';
  const entry = results.cacheHit;
  Object.assign(entry, { path, tool: tool.name, toolWhy: tool.why, servers: {}, rounds: [] });
  progress(`   load tool: ${tool.name} (${tool.why})`);
  const started = [];
  try {
    const gatewayServer = await startServer({
      ...gatewayKind({
        key: 'gateway',
        upstream: mockUrl,
        extraEnv: { READ_CACHE_TTL_MS: '5000' },
      }),
      logName: 'gateway-cache-hit',
    });
    started.push(gatewayServer);
    const answer = await fetch(gatewayServer.url + path);
    const body = Buffer.from(await answer.arrayBuffer());
    if (answer.status !== 200) throw new Error(`gateway GET ${path} answered ${answer.status}`);
    const contentType = answer.headers.get('content-type') ?? 'application/json';
    const bodyFile = join(outDir, 'ceiling-body.json');
    writeFileSync(bodyFile, body);
    entry.body = { bytes: body.length, contentType };

    const ceilingServer = await startServer({
      key: 'ceiling',
      script: 'bench/ceiling-server.mjs',
      env: (port) => ({
        ...(settings.nodeOptions ? { NODE_OPTIONS: settings.nodeOptions } : {}),
        PORT: String(port),
        CEILING_BODY_FILE: bodyFile,
        CEILING_CONTENT_TYPE: contentType,
      }),
      readyPath: path,
    });
    started.push(ceilingServer);
    const ceilingBody = Buffer.from(await (await fetch(ceilingServer.url + path)).arrayBuffer());
    if (!ceilingBody.equals(body)) warn('the ceiling answers other bytes than the gateway');

    if (onPath('nginx')) {
      const port = await freePort();
      const dir = join(outDir, 'nginx');
      const { conf, args } = prepareNginx({ dir, port, upstreamPort: new URL(mockUrl).port });
      const child = startProgram('nginx', 'nginx', args, { logPath: join(dir, 'stdout.log') });
      const url = `http://127.0.0.1:${port}`;
      await waitUntilReady(child, `${url}/health`);
      const nginxServer = { key: 'nginx', url, child };
      started.push(nginxServer);
      const nginxAnswer = await fetch(url + path);
      entry.nginx = {
        conf,
        bytes: (await nginxAnswer.arrayBuffer()).byteLength,
        status: nginxAnswer.status,
      };
    } else {
      entry.nginxSkipped = 'nginx is not on PATH (apt-get install nginx-light): no nginx anchor';
      progress(`   ${entry.nginxSkipped}`);
    }

    const servers = started;
    const cpuOf = (server) => processTreeCpuTicks(server.child.pid);
    if (settings.warmupS > 0) {
      for (const server of servers) {
        const run = await tool.run({
          url: server.url + path,
          connections: settings.connections,
          durationS: settings.warmupS,
        });
        entry.warmupAnswers =
          (entry.warmupAnswers ?? 0) + (server.key === 'gateway' ? run.answers : 0);
      }
    }
    for (const server of servers) {
      entry.servers[server.key] = { runs: [], cpuTicks: 0, answers: 0, upstreamCalls: 0 };
    }
    for (let round = 0; round < settings.cacheHitRounds; round += 1) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const server of order) {
        const before = totalCalls(await mock.settled());
        const cpuBefore = cpuOf(server);
        const run = await tool.run({
          url: server.url + path,
          connections: settings.connections,
          durationS: settings.durationS,
        });
        const cpuAfter = cpuOf(server);
        const upstreamCalls = totalCalls(await mock.settled()) - before;
        for (const problem of loadProblems(run)) warn(`${server.key} cache hit: ${problem}`);
        const figures = { ...run };
        delete figures.raw; // wrk's text report: kept out of results.json
        const total = entry.servers[server.key];
        total.runs.push({ ...figures, upstreamCalls, cpuTicks: cpuAfter - cpuBefore, round });
        total.cpuTicks += cpuAfter - cpuBefore;
        total.answers += run.answers;
        total.upstreamCalls += upstreamCalls;
        progress(
          `   round ${round + 1} ${server.key.padEnd(8)} GET ${path}: ${run.rps.toFixed(0)} req/s, p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms, ${(((cpuAfter - cpuBefore) * 10_000) / run.answers).toFixed(1)} µs CPU/req, ${upstreamCalls} upstream calls`,
        );
      }
    }
    for (const total of Object.values(entry.servers)) {
      const mean = (field) =>
        total.runs.reduce((sum, run) => sum + run[field], 0) / total.runs.length;
      total.rps = mean('rps');
      total.p50 = mean('p50');
      total.p99 = mean('p99');
      // Clock ticks are 10 ms (USER_HZ 100): µs of CPU per answer over every measured run.
      total.cpuUsPerRequest = (total.cpuTicks * 10_000) / total.answers;
    }
    // Every answer logged once (with its correlation id and trace id) and counted in the histogram.
    await sleep(500); // the last lines reach the log file
    const histogram = await histogramCount(gatewayServer.url, '/users/:id');
    const lines = await countRequestLines(join(outDir, 'gateway-cache-hit.log'), path);
    const loadRuns = entry.servers.gateway.runs.length + (settings.warmupS > 0 ? 1 : 0);
    entry.accounting = {
      answersCounted: entry.servers.gateway.answers + (entry.warmupAnswers ?? 0),
      // Each load run may leave up to `connections` requests in flight when it stops; the bench's
      // own two GETs of the body come on top.
      slack: settings.connections * loadRuns + 2,
      logLines: lines.total,
      logLinesWithIds: lines.withIds,
      histogram: histogram.count,
      histogramName: histogram.name,
    };
    progress(
      `   gateway: ${lines.total} log lines for GET ${path} (${lines.withIds} with correlation and trace ids), histogram ${histogram.name ?? '(not found)'} ${histogram.count ?? '—'}, load tool counted ${entry.accounting.answersCounted} answers`,
    );
  } finally {
    for (const server of started) await stop(server.child);
  }
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
  for (const file of [gatewayEntry, 'mock-api/dist/main.js']) {
    if (!existsSync(file))
      throw new Error(`${file} is missing: run npm run bench (it builds first)`);
  }
  if (results.meta.dotEnvPresent)
    warn('a .env file is present: the gateway reads it (unset variables only)');
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
    if (process.env[name])
      warn(`${name} is set: the gateway exports traces (the targets assume not)`);
  }
  progress(
    `bench${settings.quick ? ' (quick)' : ''}: ${settings.scenarios.join(', ')}; gateway ${gatewayEntry}; output in ${outDir}`,
  );

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
  if (want('startup')) {
    await phase(`start-up: ${settings.startups} cold starts each`, () => measureStartups(mockUrl));
  }
  if (want('cache-hit')) {
    await phase(
      `cache hit: GET /users/1, ${settings.cacheHitRounds} round(s) of ${settings.durationS} s`,
      () => measureCacheHit(mock, mockUrl),
    );
  }
  if (want('straggler')) {
    const s = settings.straggler;
    await phase(
      `straggler: ${s.repeats} fan-outs of ${s.events} events per variant, every ${s.every}th event fetch ${s.stragglerLatencyMs} ms (others ${s.eventLatencyMs} ms)`,
      () => measureStraggler(mock, mockUrl),
    );
  }
  if (want('overload')) {
    const o = settings.overload;
    await phase(
      `overload: ${o.rate} req/s offered for ${o.durationS} s per variant, upstream capacity ${o.capacity} in flight`,
      () => measureOverload(mock, mockUrl),
    );
  }
  if (!['fan-out', 'throughput', 'decay', 'open-breaker'].some(want)) return;

  progress('-- starting the servers under test');
  const servers = [];
  for (const kind of kinds) servers.push(await startServer(kind));
  await sleep(1_000); // idle: let start-up work (timers, lazy init) settle before reading RSS
  if (!want('startup')) {
    for (const server of servers) results.idleRss[server.key] = memoryMiB(server.child.pid).rss;
  }
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
  results.answersCompared = true;
  for (const difference of results.answerDifferences) warn(`answers differ: ${difference}`);

  if (want('fan-out')) {
    await phase(`fan-out, mock event latency ${settings.latencyMs} ms`, () =>
      measureFanOut(servers, mock, mockUrl),
    );
  }
  if (want('throughput')) {
    await phase(`throughput, ${settings.connections} connections, ${settings.durationS} s`, () =>
      measureThroughput(servers, mock),
    );
  }
  if (want('decay')) {
    await phase(`memory and decay, ${settings.decayRuns} x ${settings.decayRunS} s`, () =>
      measureDecay(servers, mock),
    );
  }
  // Last: it leaves both write breakers open for an hour.
  if (want('open-breaker'))
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
  for (const name of [
    'gateway.log',
    'baseline.log',
    'mock.log',
    'gateway-cache-hit.log',
    'overload-gateway-on.log',
    'overload-gateway-off.log',
    'nginx/access.log',
  ]) {
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
