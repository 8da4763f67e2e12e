// `npm run bench:profile -- <route> [seconds] [options]`: where the built gateway spends its CPU on
// one route under load. Starts the mock upstream and `node --cpu-prof dist/main.js`, loads the
// route with autocannon, stops the gateway with SIGINT so the profile is written, and prints what
// the profile says about the load window only (start-up and warm-up are left out): the top
// functions by self time, and time by package, self and inclusive.
//
//   npm run bench:profile -- /users 10
//   npm run bench:profile -- /users/9010/events 15 --env LOG_LEVEL=error
//   npm run bench:profile -- /events 10 --method POST --body '{"name":"x","userId":"1"}' --open-write-breaker
//   npm run bench:profile -- '/v1/events/9801-{n}' 10 --open-loop 640 --mock '{"capacity":32,...}'
//
// Options: --method M, --body JSON (sent as application/json), --connections N (50),
// --warmup S (2), --env K=V,K=V (added to the gateway's env, after BENCH_GATEWAY_ENV),
// --mock JSON (a PUT /__mock/config body, e.g. '{"eventLatencyMs":5}'), --open-write-breaker
// (make the mock fail writes and open the gateway's write breaker first), --interval-us N (the
// sampling interval, 500), --top N (25), --open-loop RATE (requests arrive at RATE a second
// whatever the answers, from at most --connections at once, as the overload scenario sends them;
// GET only), --ids N (1000: `{n}` in the route goes round 1…N, and the mock's user 9801 gets N
// events, so that no two reads in flight share an id and coalesce). Output:
// bench-results/profile-<timestamp>/.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSourceResolver, renderSummary, summarizeProfile } from './lib/cpuprofile.mjs';
import { createFanOutUsers, mockControl, openWriteBreaker } from './lib/http.mjs';
import { load } from './lib/load.mjs';
import { Agent } from 'node:http';
import { openLoad, preconnect } from './lib/open-loop.mjs';
import {
  freePort,
  startNode,
  stop,
  stopAll,
  stopChildrenOnExit,
  waitUntilReady,
} from './lib/processes.mjs';
import { gatewayEnv, mockEnv, parseEnvList } from './lib/settings.mjs';

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    method: { type: 'string', default: 'GET' },
    body: { type: 'string' },
    connections: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '2' },
    env: { type: 'string', default: '' },
    mock: { type: 'string' },
    'open-write-breaker': { type: 'boolean', default: false },
    'interval-us': { type: 'string', default: '500' },
    top: { type: 'string', default: '25' },
    'open-loop': { type: 'string' },
    ids: { type: 'string', default: '1000' },
  },
});

function usage(message) {
  process.stderr.write(
    `${message}\nusage: npm run bench:profile -- <route> [seconds] [--method M] [--body JSON] [--env K=V,...] (see bench/profile.mjs)\n`,
  );
  process.exit(2);
}

const [route, secondsText = '10'] = positionals;
if (!route?.startsWith('/')) usage('the route must start with "/", e.g. /users');
const seconds = Number(secondsText);
const connections = Number(options.connections);
const warmupS = Number(options.warmup);
const intervalUs = Number(options['interval-us']);
const openLoopRate = options['open-loop'] === undefined ? undefined : Number(options['open-loop']);
const ids = Number(options.ids);
for (const [name, value] of Object.entries({ seconds, connections, warmupS, intervalUs, ids })) {
  if (!Number.isFinite(value) || value < 0) usage(`${name} must be a number`);
}
if (openLoopRate !== undefined && !(openLoopRate > 0)) usage('--open-loop must be a rate above 0');
if (openLoopRate !== undefined && (options.method.toUpperCase() !== 'GET' || options.body)) {
  usage('--open-loop sends GET requests only');
}
if (options.body !== undefined) {
  try {
    JSON.parse(options.body);
  } catch {
    usage('--body must be JSON');
  }
}

const stamp = new Date()
  .toISOString()
  .replace(/\.\d+Z$/, 'Z')
  .replaceAll(':', '-');
const outDir = join(process.env.BENCH_OUT || 'bench-results', `profile-${stamp}`);
const log = (message) => process.stderr.write(`${message}\n`);
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

async function main() {
  mkdirSync(outDir, { recursive: true });
  stopChildrenOnExit();

  const mockPort = await freePort();
  const mockUrl = `http://127.0.0.1:${mockPort}`;
  const mockChild = startNode('mock', ['mock-api/dist/main.js'], {
    env: mockEnv({ port: mockPort }),
    logPath: join(outDir, 'mock.log'),
  });
  await waitUntilReady(mockChild, `${mockUrl}/__mock/config`);
  const mock = mockControl(mockUrl);
  await createFanOutUsers(mock); // /users/9001, 9010, 9050, 9100: 1, 10, 50, 100 events
  if (route.includes('{n}')) await mock.createUser(ROTATING_USER, ids);
  if (options.mock) await mock.configure(JSON.parse(options.mock));

  const port = await freePort();
  const gatewayUrl = `http://127.0.0.1:${port}`;
  const overrides = {
    ...parseEnvList(process.env.BENCH_GATEWAY_ENV),
    ...parseEnvList(options.env),
  };
  const gateway = startNode(
    'gateway',
    ['--cpu-prof', `--cpu-prof-dir=${outDir}`, `--cpu-prof-interval=${intervalUs}`, 'dist/main.js'],
    {
      env: gatewayEnv({
        port,
        upstream: mockUrl,
        overrides,
        nodeOptions: process.env.BENCH_NODE_OPTIONS,
      }),
      logPath: join(outDir, 'gateway.log'),
    },
  );
  await waitUntilReady(gateway, `${gatewayUrl}/ready`, { fallbackUrl: `${gatewayUrl}/health` });

  if (options['open-write-breaker']) {
    await mock.configure({ addEventMode: 'fail', failureDelayMs: 0 });
    const statuses = await openWriteBreaker(gatewayUrl);
    log(`write breaker open after POST /events answered ${statuses.join(', ')}`);
  }

  const request = {
    url: gatewayUrl + route,
    connections,
    method: options.method.toUpperCase(),
    ...(options.body === undefined
      ? {}
      : { body: options.body, headers: { 'content-type': 'application/json' } }),
  };
  const drive = openLoopRate === undefined ? load : openLoadOf(request.url);
  if (warmupS > 0) {
    log(`warm-up: ${warmupS} s (not in the summary)`);
    await drive({ ...request, durationS: warmupS });
  }
  log(
    `load: ${request.method} ${route}, ${openLoopRate === undefined ? '' : `open loop ${openLoopRate} req/s from at most `}${connections} connections, ${seconds} s`,
  );
  const window = { startUs: monotonicUs() };
  const run = await drive({ ...request, durationS: seconds });
  window.endUs = monotonicUs();
  const statuses = Object.entries(run.statuses)
    .map(([status, n]) => `${status} x${n}`)
    .join(', ');
  log(
    `${run.rps.toFixed(0)} req/s, p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms; answers: ${statuses || 'none'}; errors ${run.errors}`,
  );

  // SIGINT: the gateway closes and exits, and Node writes the profile on the way out.
  const exit = await stop(gateway, { signal: 'SIGINT', graceMs: 20_000 });
  await stopAll();
  const file = readdirSync(outDir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${outDir} (the gateway exited with ${exit})`);
  const profile = JSON.parse(readFileSync(join(outDir, file), 'utf8'));

  let inWindow = window;
  if (window.endUs <= profile.startTime || window.startUs >= profile.endTime) {
    log(
      '!! the load window is outside the profile (clocks differ?): summarising the whole profile',
    );
    inWindow = undefined;
  }
  const summary = summarizeProfile(profile, {
    window: inWindow,
    resolveSource: createSourceResolver(process.cwd()),
  });
  const text = [
    `${request.method} ${route}: ${run.rps.toFixed(0)} req/s, p99 ${run.p99.toFixed(2)} ms over ${seconds} s, ${connections} connections; sampling every ${intervalUs} µs`,
    `gateway env overrides: ${JSON.stringify(overrides)}`,
    '',
    renderSummary(summary, { top: Number(options.top) }),
    '',
    `profile: ${join(outDir, file)} (open it in Chrome DevTools > Performance, or speedscope)`,
  ].join('\n');
  writeFileSync(join(outDir, 'summary.txt'), `${text}\n`);
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${text}\n`);
}

/** The user whose events `{n}` goes round. */
const ROTATING_USER = '9801';

/**
 * `load`'s figures from an open-loop load: `{n}` in the URL goes round 1…ids, so that reads in
 * flight do not share an id (the gateway would coalesce them into one upstream call).
 */
function openLoadOf(url) {
  let next = 0;
  const urlOf = () => url.replaceAll('{n}', String((next++ % ids) + 1));
  // One set of connections for the warm-up and the run, opened first (as the overload scenario).
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  let opened;
  return async ({ durationS }) => {
    opened ??= preconnect({ agent, url: new URL('/health', url).href, count: connections });
    await opened;
    const run = await openLoad({
      urlOf,
      ratePerS: openLoopRate,
      durationS,
      maxInFlight: connections,
      agent,
    });
    // p50 and p99 of 2xx answers: refusals are fast and would hide the admitted reads' latency.
    return {
      statuses: run.statuses,
      rps: run.sent / durationS,
      p50: run.p50Ok,
      p99: run.p99Ok,
      errors: 0,
    };
  };
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  log(`!! ${error.stack ?? error.message}`);
  exitCode = 1;
} finally {
  await stopAll();
}
process.exit(exitCode);
