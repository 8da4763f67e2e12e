// Benchmarks the gateway's fan-out and read coalescing against the mock upstream, on loopback
// only, bounded in count and time. Prints figures and ratios against baselines measured in the
// same run. Run with `npm run bench` (builds first). BENCH_LATENCY_MS sets the mock's event latency.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 200);
const CLIENTS = 20;
const ROUNDS = 3;
const children = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function start(script, env) {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function waitFor(url) {
  for (let i = 0; i < 100; i += 1) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (values) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

async function timed(fn) {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function upstreamCalls(mock) {
  const { calls } = await getJson(`${mock}/__mock/stats`);
  await fetch(`${mock}/__mock/reset`, { method: 'POST' });
  return Object.values(calls).reduce((sum, n) => sum + n, 0);
}

/** What a gateway without fan-out does: the user, then each event one after the other. */
async function sequentialBaseline(mock) {
  const user = await getJson(`${mock}/getUserById/2`);
  for (const id of user.events) await getJson(`${mock}/getEventById/${id}`);
  return user.events.length;
}

async function load(gateway) {
  const latencies = [];
  const wall = await timed(() =>
    Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let round = 0; round < ROUNDS; round += 1) {
          latencies.push(await timed(() => getJson(`${gateway}/users/2/events`)));
        }
      }),
    ),
  );
  latencies.sort((a, b) => a - b);
  return {
    wall,
    rps: (CLIENTS * ROUNDS) / (wall / 1000),
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
  };
}

async function main() {
  const [mockPort, coalescingPort, plainPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
  ]);
  const mock = `http://127.0.0.1:${mockPort}`;
  start('mock-api/dist/main.js', {
    MOCK_API_PORT: String(mockPort),
    MOCK_EVENT_LATENCY_MS: String(LATENCY_MS),
    MOCK_NETWORK_ERROR_RATE: '0',
    MOCK_ADD_EVENT_CYCLE: 'off',
  });
  const gatewayEnv = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    EVENT_API_BASE_URL: mock,
    SHUTDOWN_DRAIN_MS: '0',
    RATE_LIMIT_MAX: '1000000',
  };
  start('dist/main.js', {
    ...gatewayEnv,
    PORT: String(coalescingPort),
    UPSTREAM_COALESCE_READS: 'true',
  });
  start('dist/main.js', {
    ...gatewayEnv,
    PORT: String(plainPort),
    UPSTREAM_COALESCE_READS: 'false',
  });
  const coalescing = `http://127.0.0.1:${coalescingPort}`;
  const plain = `http://127.0.0.1:${plainPort}`;
  await Promise.all([
    waitFor(`${mock}/getUsers`),
    waitFor(`${coalescing}/health`),
    waitFor(`${plain}/health`),
  ]);
  await getJson(`${coalescing}/users/2/events`); // warm up connections and JIT
  await getJson(`${plain}/users/2/events`);
  await upstreamCalls(mock);

  console.log(`Mock upstream: ${LATENCY_MS} ms per event fetch; user 2 has 50 events.\n`);

  console.log('1. One client, GET /users/2/events');
  let events = 0;
  const sequential = await timed(async () => (events = await sequentialBaseline(mock)));
  await upstreamCalls(mock);
  const fanOut = [];
  for (let i = 0; i < 5; i += 1)
    fanOut.push(await timed(() => getJson(`${coalescing}/users/2/events`)));
  const fanOutMedian = median(fanOut);
  const fanOutCalls = (await upstreamCalls(mock)) / 5;
  console.log(
    `   sequential baseline (${events + 1} calls one by one): ${sequential.toFixed(0)} ms`,
  );
  console.log(
    `   gateway fan-out (median of 5, ${fanOutCalls} upstream calls each): ${fanOutMedian.toFixed(0)} ms`,
  );
  console.log(`   speed-up: ${(sequential / fanOutMedian).toFixed(1)}x\n`);

  console.log(`2. ${CLIENTS} concurrent clients x ${ROUNDS} rounds of GET /users/2/events`);
  const withoutCoalescing = await load(plain);
  const callsWithout = await upstreamCalls(mock);
  const withCoalescing = await load(coalescing);
  const callsWith = await upstreamCalls(mock);
  const row = (name, r, calls) =>
    console.log(
      `   ${name.padEnd(22)} ${r.rps.toFixed(1).padStart(7)} req/s   p50 ${r.p50.toFixed(0).padStart(5)} ms   p95 ${r.p95.toFixed(0).padStart(5)} ms   upstream calls ${String(calls).padStart(5)}`,
    );
  row('coalescing off', withoutCoalescing, callsWithout);
  row('coalescing on', withCoalescing, callsWith);
  console.log(
    `   upstream calls: ${(callsWithout / callsWith).toFixed(1)}x fewer; throughput: ${(withCoalescing.rps / withoutCoalescing.rps).toFixed(2)}x`,
  );
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill('SIGTERM');
  });
