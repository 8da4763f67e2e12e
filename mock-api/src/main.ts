import { createMockApi, DEFAULT_MOCK_API_OPTIONS, type MockApiOptions } from './mock-api';
import {
  ADD_EVENT_MODES,
  isAddEventMode,
  MAX_COUNT,
  MAX_DELAY_MS,
  type AddEventMode,
} from './mock-config';

function numberFromEnv(
  name: string,
  fallback: number,
  min: number,
  max: number,
  { integer = false } = {},
): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    console.error(
      `Invalid ${name}=${JSON.stringify(raw)}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`,
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

/** MOCK_ADD_EVENT_MODE, if set, wins over MOCK_ADD_EVENT_CYCLE (on: `cycle`, off: `ok`). */
function addEventModeFromEnv(): AddEventMode | undefined {
  const raw = process.env.MOCK_ADD_EVENT_MODE?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (isAddEventMode(raw)) return raw;
  console.error(
    `Invalid MOCK_ADD_EVENT_MODE=${JSON.stringify(raw)}: expected one of ${ADD_EVENT_MODES.join(', ')}`,
  );
  process.exit(1);
}

const port = numberFromEnv('MOCK_API_PORT', 3001, 0, 65535);
const host = process.env.MOCK_API_HOST || '127.0.0.1';
const d = DEFAULT_MOCK_API_OPTIONS;
const addEventCycle = switchFromEnv('MOCK_ADD_EVENT_CYCLE', d.addEventCycle);
const addEventMode = addEventModeFromEnv() ?? (addEventCycle ? 'cycle' : 'ok');
const options: MockApiOptions = {
  eventLatencyMs: numberFromEnv('MOCK_EVENT_LATENCY_MS', d.eventLatencyMs, 0, MAX_DELAY_MS),
  userLatencyMs: numberFromEnv('MOCK_USER_LATENCY_MS', d.userLatencyMs, 0, MAX_DELAY_MS),
  listLatencyMs: numberFromEnv('MOCK_LIST_LATENCY_MS', d.listLatencyMs, 0, MAX_DELAY_MS),
  addEventCycle,
  addEventMode,
  cycleLength: d.cycleLength,
  cycleSuccesses: d.cycleSuccesses,
  failureDelayMs: numberFromEnv('MOCK_FAILURE_DELAY_MS', d.failureDelayMs, 0, MAX_DELAY_MS),
  networkErrorRate: numberFromEnv('MOCK_NETWORK_ERROR_RATE', d.networkErrorRate, 0, 1),
  eventStragglerEvery: numberFromEnv(
    'MOCK_EVENT_STRAGGLER_EVERY',
    d.eventStragglerEvery,
    0,
    MAX_COUNT,
    { integer: true },
  ),
  eventStragglerLatencyMs: numberFromEnv(
    'MOCK_EVENT_STRAGGLER_LATENCY_MS',
    d.eventStragglerLatencyMs,
    0,
    MAX_DELAY_MS,
  ),
  capacity: numberFromEnv('MOCK_CAPACITY', d.capacity, 0, MAX_COUNT, { integer: true }),
  overloadLatencyMsPerCall: numberFromEnv(
    'MOCK_OVERLOAD_LATENCY_MS_PER_CALL',
    d.overloadLatencyMsPerCall,
    0,
    MAX_DELAY_MS,
  ),
  overloadErrorRate: numberFromEnv('MOCK_OVERLOAD_ERROR_RATE', d.overloadErrorRate, 0, 1),
  seed: numberFromEnv('MOCK_SEED', d.seed, 0, 2 ** 32 - 1),
  logger: switchFromEnv('MOCK_LOG', false),
  // The issuer of the development identity provider's tokens: the gateway's AUTH_ISSUER.
  issuer: process.env.MOCK_ISSUER?.trim() || `http://localhost:${port}`,
};

const app = createMockApi(options);
app
  .listen({ port, host })
  .then((address) => {
    console.log(
      `Mock Event API on ${address} (event latency ${options.eventLatencyMs} ms, addEvent mode ${addEventMode}, network errors ${options.networkErrorRate * 100}%, seed ${options.seed}${options.eventStragglerEvery > 0 ? `, every ${options.eventStragglerEvery}th event fetch ${options.eventStragglerLatencyMs} ms` : ''}${options.capacity > 0 ? `, capacity ${options.capacity} in flight` : ''})`,
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
