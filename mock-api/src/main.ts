import { createMockApi, DEFAULT_MOCK_API_OPTIONS, type MockApiOptions } from './mock-api';

function numberFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    console.error(
      `Invalid ${name}=${JSON.stringify(raw)}: expected a number from ${min} to ${max}`,
    );
    process.exit(1);
  }
  return value;
}

function switchFromEnv(name: string, fallback: boolean): boolean {
  const raw = process.env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['on', 'true', '1'].includes(raw)) return true;
  if (['off', 'false', '0'].includes(raw)) return false;
  console.error(`Invalid ${name}=${JSON.stringify(raw)}: expected on or off`);
  process.exit(1);
}

const d = DEFAULT_MOCK_API_OPTIONS;
const options: MockApiOptions = {
  eventLatencyMs: numberFromEnv('MOCK_EVENT_LATENCY_MS', d.eventLatencyMs, 0, 600_000),
  addEventCycle: switchFromEnv('MOCK_ADD_EVENT_CYCLE', d.addEventCycle),
  cycleLength: d.cycleLength,
  cycleSuccesses: d.cycleSuccesses,
  failureDelayMs: numberFromEnv('MOCK_FAILURE_DELAY_MS', d.failureDelayMs, 0, 600_000),
  networkErrorRate: numberFromEnv('MOCK_NETWORK_ERROR_RATE', d.networkErrorRate, 0, 1),
  seed: numberFromEnv('MOCK_SEED', d.seed, 0, 2 ** 32 - 1),
  logger: switchFromEnv('MOCK_LOG', false),
};
const port = numberFromEnv('MOCK_API_PORT', 3001, 0, 65535);
const host = process.env.MOCK_API_HOST || '127.0.0.1';

const app = createMockApi(options);
app
  .listen({ port, host })
  .then((address) => {
    console.log(
      `Mock Event API on ${address} (event latency ${options.eventLatencyMs} ms, addEvent cycle ${options.addEventCycle ? 'on' : 'off'}, network errors ${options.networkErrorRate * 100}%, seed ${options.seed})`,
    );
  })
  .catch((error: unknown) => {
    console.error('Mock Event API failed to start:', error);
    process.exit(1);
  });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
