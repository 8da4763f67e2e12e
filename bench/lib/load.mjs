// Load generation with autocannon's programmatic API, and the statistics the bench reports.
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { onPath, runWrk } from './wrk.mjs';

/** The value below which `p` percent of the (sorted, ascending) values fall (nearest rank). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export const median = (values) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/**
 * Loads one URL for `durationS` seconds with `connections` keep-alive connections and returns
 * req/s, latency percentiles (ms) and the answers by status code.
 *
 * Latencies are collected from autocannon's `response` events (sub-millisecond, every answer
 * whatever its status) rather than from its histogram, which records whole milliseconds and, at
 * a fixed rate, "corrects" for coordinated omission with a 1 ms interval that invents samples.
 * With `overallRate`, autocannon gives each connection its share of the rate at the start of every
 * second, so requests come in bursts of `connections` concurrent requests, not evenly spaced.
 */
export async function load({
  url,
  connections,
  durationS,
  method = 'GET',
  body,
  headers,
  overallRate,
}) {
  const latencies = [];
  const statuses = {};
  const instance = autocannon({
    url,
    connections,
    duration: durationS,
    method,
    body,
    headers,
    ...(overallRate ? { overallRate, ignoreCoordinatedOmission: true } : {}),
    timeout: 10,
  });
  // autocannon times a connection's first request from before the TCP connect: leave that one
  // out of the latencies (it still counts as an answer). One per connection, 50 in a whole run.
  const connected = new WeakSet();
  let answers = 0;
  instance.on('response', (client, statusCode, _bytes, responseTimeMs) => {
    answers += 1;
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    if (connected.has(client)) latencies.push(responseTimeMs);
    else connected.add(client);
  });
  const startedAt = performance.now();
  const result = await instance;
  const elapsedS = (performance.now() - startedAt) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    tool: 'autocannon',
    // Answers per second over the run's own duration (autocannon's, or ours if it has none).
    rps: answers / (result.duration || elapsedS),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    answers,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    durationS: result.duration || elapsedS,
  };
}

/** What is wrong with a run whose every answer should have had status `expected`, if anything. */
export function loadProblems(run, expected = 200) {
  const problems = [];
  // wrk only tells 2xx/3xx answers from the others.
  const fine = (status) =>
    Number(status) === expected || (status === '2xx/3xx' && expected >= 200 && expected < 400);
  const unexpected = Object.entries(run.statuses).filter(([status]) => !fine(status));
  if (unexpected.length > 0) {
    problems.push(
      `unexpected statuses ${unexpected.map(([status, n]) => `${status} x${n}`).join(', ')}`,
    );
  }
  if (run.errors > 0) problems.push(`${run.errors} connection errors`);
  if (run.timeouts > 0) problems.push(`${run.timeouts} timeouts`);
  if (run.answers === 0) problems.push('no answers at all');
  return problems;
}

/** Milliseconds `fn` takes. */
export async function timed(fn) {
  const startedAt = performance.now();
  await fn();
  return performance.now() - startedAt;
}

/**
 * The load generator of the GET scenarios that compare with the anchors: `wrk` when it is on PATH
 * (or `preferred` says so), autocannon otherwise. Returns `{ name, why, run(options) }`; run()
 * takes load()'s options (GET only) and returns load()'s shape.
 */
export function pickLoadTool({ preferred, wrkCpus } = {}) {
  const wrk = onPath('wrk');
  const taskset = wrkCpus ? onPath('taskset') : undefined;
  if (preferred === 'wrk' && !wrk) throw new Error('BENCH_TOOL=wrk but wrk is not on PATH');
  if (wrk && preferred !== 'autocannon') {
    const pinned = wrkCpus && taskset ? wrkCpus : undefined;
    return {
      name: 'wrk',
      why: `${wrk}, one thread${pinned ? `, pinned to CPU ${pinned} (taskset)` : ''}${wrkCpus && !taskset ? ' (BENCH_WRK_CPUS ignored: no taskset)' : ''}`,
      run: ({ url, connections, durationS }) =>
        runWrk({ url, connections, durationS, threads: 1, cpus: pinned }),
    };
  }
  return {
    name: 'autocannon',
    why:
      preferred === 'autocannon'
        ? 'BENCH_TOOL=autocannon'
        : 'wrk is not on PATH (apt-get install wrk); autocannon in the bench process',
    run: (options) => load(options),
  };
}
