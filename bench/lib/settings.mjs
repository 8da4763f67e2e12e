// What `npm run bench` measures and for how long: defaults, BENCH_* environment variables, flags.

/** `K=V,K=V` into an object; a comma followed by something that is not `KEY=` stays in the value. */
export function parseEnvList(text = '') {
  const env = {};
  for (const pair of text.split(/,(?=\s*[A-Za-z_][A-Za-z0-9_]*=)/)) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`expected K=V, got ${JSON.stringify(pair)}`);
    env[pair.slice(0, at).trim()] = pair.slice(at + 1);
  }
  return env;
}

function number(name, fallback, { min = 0, integer = false } = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`${name}=${JSON.stringify(raw)} is not a valid number`);
  }
  return value;
}

function loadTool(raw) {
  if (raw === undefined || raw === '') return undefined;
  if (!['wrk', 'autocannon'].includes(raw)) {
    throw new Error(`BENCH_TOOL=${JSON.stringify(raw)}: wrk or autocannon`);
  }
  return raw;
}

/** As in the Dockerfile and deploy/k8s/deployment.yaml (a test keeps those two equal). */
export const POD_NODE_OPTIONS = '--max-old-space-size=192 --max-semi-space-size=8';

/** The scenarios of `npm run bench`, in the order they run (BENCH_SCENARIOS picks a subset). */
export const SCENARIOS = [
  'startup',
  'cache-hit',
  'straggler',
  'overload',
  'fan-out',
  'throughput',
  'decay',
  'open-breaker',
];

/**
 * BENCH_SCENARIOS: a comma-separated list of scenario names (case and spaces ignored); unset or
 * empty means all of them. Returns the names in run order; an unknown name is an error.
 */
export function parseScenarios(text) {
  if (text === undefined || text.trim() === '') return [...SCENARIOS];
  const names = text
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !SCENARIOS.includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_SCENARIOS: unknown scenario(s) ${unknown.map((name) => JSON.stringify(name)).join(', ')}; known: ${SCENARIOS.join(', ')}`,
    );
  }
  if (names.length === 0) throw new Error(`BENCH_SCENARIOS=${JSON.stringify(text)} names none`);
  return SCENARIOS.filter((name) => names.includes(name));
}

export function loadSettings(argv = process.argv.slice(2)) {
  const unknown = argv.filter((arg) => arg !== '--quick');
  if (unknown.length > 0) throw new Error(`unknown argument(s): ${unknown.join(' ')}`);
  const quick = argv.includes('--quick') || ['1', 'true'].includes(process.env.BENCH_QUICK ?? '');
  const pick = (full, short) => (quick ? short : full);
  return {
    quick,
    outDir: process.env.BENCH_OUT || 'bench-results',
    /** The mock's event latency in the fan-out scenario. */
    latencyMs: number('BENCH_LATENCY_MS', 200),
    fanOutSizes: [1, 10, 50, 100],
    fanOutRepeats: number('BENCH_FANOUT_REPEATS', pick(5, 3), { min: 1, integer: true }),
    connections: number('BENCH_CONNECTIONS', 50, { min: 1, integer: true }),
    // autocannon stops on whole seconds: durations are whole seconds.
    durationS: number('BENCH_DURATION_S', pick(10, 2), { min: 1, integer: true }),
    warmupS: number('BENCH_WARMUP_S', pick(2, 1), { min: 0, integer: true }),
    decayRuns: number('BENCH_DECAY_RUNS', 5, { min: 2, integer: true }),
    decayRunS: number('BENCH_DECAY_RUN_S', pick(6, 1), { min: 1, integer: true }),
    fixedRate: number('BENCH_RATE', 500, { min: 1, integer: true }),
    fixedRateConnections: number('BENCH_RATE_CONNECTIONS', 10, { min: 1, integer: true }),
    startups: number('BENCH_STARTUPS', 3, { min: 1, integer: true }),
    scenarios: parseScenarios(process.env.BENCH_SCENARIOS),
    /** The gateway every scenario runs: the production bundle when it is built. */
    gatewayEntry: process.env.BENCH_GATEWAY_ENTRY || undefined,
    /** Rounds of the cache-hit scenario (each server once per round, order alternating). */
    cacheHitRounds: number('BENCH_CACHE_HIT_ROUNDS', pick(2, 1), { min: 1, integer: true }),
    /** `wrk` (when on PATH) or `autocannon` for the cache-hit scenario; BENCH_TOOL forces one. */
    tool: loadTool(process.env.BENCH_TOOL),
    /** CPUs wrk is pinned to with taskset (e.g. `3` or `2-3`); unset: not pinned. */
    wrkCpus: process.env.BENCH_WRK_CPUS || undefined,
    podLimitMiB: number('BENCH_POD_LIMIT_MIB', 320, { min: 1 }),
    /**
     * The straggler scenario: the mock answers each event in `eventLatencyMs`, except every
     * `every`th fetch, which takes `stragglerLatencyMs` (the measurement); `repeats`
     * fan-outs of a 50-event user one at a time per variant, after `calmRepeats` without stragglers.
     */
    straggler: {
      eventLatencyMs: 50,
      every: 50,
      stragglerLatencyMs: 2_000,
      events: 50,
      repeats: number('BENCH_STRAGGLER_REPEATS', pick(12, 6), { min: 1, integer: true }),
      calmRepeats: 3,
    },
    /**
     * The overload scenario: the mock's reads take `eventLatencyMs` up to `capacity` calls in
     * flight; past it each costs `overloadLatencyMsPerCall` more per call over and
     * `overloadErrorRate` of them fail. Requests arrive at `rate` per second (twice what the
     * upstream answers at its knee, by default) from at most `clients` at once, for `durationS`.
     */
    overload: {
      // The knee: 32 in flight / 100 ms = 320 reads/s, few enough that this machine's CPU is not
      // what limits. Past it a call costs 10 ms per call over, 3.2x what waiting its turn would
      // (100 ms / 32): throughput falls as calls pile up, as an overloaded server's does.
      eventLatencyMs: 100,
      capacity: 32,
      overloadLatencyMsPerCall: 10,
      overloadErrorRate: 0.25,
      rate: number('BENCH_OVERLOAD_RATE', 640, { min: 1, integer: true }),
      clients: number('BENCH_OVERLOAD_CLIENTS', 256, { min: 1, integer: true }),
      durationS: number('BENCH_OVERLOAD_S', pick(10, 3), { min: 1, integer: true }),
      warmupS: pick(2, 1),
      /** Distinct event ids the requests go round (more than `clients`: none coalesce). */
      ids: 1_000,
    },
    /** Added to (or overriding) the gateway's environment. */
    gatewayEnvOverrides: parseEnvList(process.env.BENCH_GATEWAY_ENV),
    /**
     * NODE_OPTIONS of both servers under test: by default the image's and the Deployment's, which
     * size V8's heap for the 320 MiB pod. Set it to '' to let V8 size the heap from this machine.
     */
    nodeOptions: process.env.BENCH_NODE_OPTIONS ?? POD_NODE_OPTIONS,
  };
}

/**
 * The gateway as it would run in production, plus what the bench needs: no drain delay on stop,
 * a rate limit no bench reaches, and breakers that stay open once opened (a whole phase measures
 * the open write breaker). Metrics have no switch: they are always on.
 */
export function gatewayEnv({ port, upstream, overrides, nodeOptions }) {
  return {
    ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    RATE_LIMIT_MAX: '100000000',
    // The read cache off: with it, repeated requests for one URL are answered from memory and the
    // bench would measure the cache, not the gateway's path to the upstream (the baseline has none).
    // BENCH_GATEWAY_ENV=READ_CACHE_TTL_MS=5000 measures the gateway as shipped.
    READ_CACHE_TTL_MS: '0',
    SHUTDOWN_DRAIN_MS: '0',
    CIRCUIT_BREAKER_RESET_TIMEOUT_MS: '3600000',
    CIRCUIT_BREAKER_MAX_RESET_TIMEOUT_MS: '3600000',
    ...overrides,
    PORT: String(port),
    EVENT_API_BASE_URL: upstream,
  };
}

/** The mock upstream: quiet (no random failures, every write stored) until a phase says otherwise. */
export function mockEnv({ port }) {
  return {
    MOCK_API_PORT: String(port),
    MOCK_API_HOST: '127.0.0.1',
    MOCK_EVENT_LATENCY_MS: '0',
    MOCK_FAILURE_DELAY_MS: '0',
    MOCK_NETWORK_ERROR_RATE: '0',
    MOCK_ADD_EVENT_MODE: 'ok',
    MOCK_LOG: 'off',
  };
}
