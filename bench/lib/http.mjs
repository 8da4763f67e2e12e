// Small HTTP helpers of the bench: JSON calls, the mock upstream's control routes, and opening a
// server's write breaker.
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';

/** Calls `url` and returns `{ status, body }` (body parsed as JSON when it is JSON). */
export async function call(url, { method = 'GET', json } = {}) {
  const response = await fetch(url, {
    method,
    ...(json === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let body = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body };
}

/** Like `call`, but anything but a 2xx is an error. */
export async function callOk(url, options) {
  const answer = await call(url, options);
  if (answer.status < 200 || answer.status > 299) {
    throw new Error(
      `${options?.method ?? 'GET'} ${url} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
    );
  }
  return answer.body;
}

/** Calls the mock received, all routes together (its control routes are not counted). */
export const totalCalls = (stats) => Object.values(stats.calls).reduce((sum, n) => sum + n, 0);

/** The mock upstream's control routes (see mock-api/README.md). */
export function mockControl(baseUrl) {
  return {
    configure: (change) => callOk(`${baseUrl}/__mock/config`, { method: 'PUT', json: change }),
    createUser: (id, eventCount) =>
      callOk(`${baseUrl}/__mock/users/${id}`, {
        method: 'PUT',
        json: { userName: `Bench user with ${eventCount} events`, eventCount },
      }),
    stats: () => callOk(`${baseUrl}/__mock/stats`),
    /** Zeroes the mock's counters (calls, load peak); data and config stay. */
    resetStats: () => callOk(`${baseUrl}/__mock/stats/reset`, { method: 'POST' }),
    /**
     * Waits until the mock has no Event API call in flight (`timeoutMs` at most, then throws):
     * the calls a server still makes for requests its client gave up on end before the next
     * variant starts. Returns the stats then.
     */
    idle: async ({ timeoutMs = 15_000 } = {}) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const now = await callOk(`${baseUrl}/__mock/stats`);
        if (now.load.inFlight === 0) return now;
        if (Date.now() > deadline) {
          throw new Error(`the mock still has ${now.load.inFlight} calls in flight`);
        }
        await sleep(50);
      }
    },
    /**
     * Waits until the mock has had no call for 200 ms (5 s at most): a server may still be working
     * on requests the load generator gave up on, and their upstream calls must not be counted in
     * the next phase. Returns the stats then.
     */
    settled: async () => {
      let last = await callOk(`${baseUrl}/__mock/stats`);
      for (let i = 0; i < 25; i += 1) {
        await sleep(200);
        const now = await callOk(`${baseUrl}/__mock/stats`);
        if (totalCalls(now) === totalCalls(last)) return now;
        last = now;
      }
      return last;
    },
  };
}

/**
 * The fan-out users: user `9000 + N` has exactly N events. Created on the mock by the bench and the
 * profiler alike, so routes such as /users/9010/events mean the same in both.
 */
export const FAN_OUT_USERS = { 1: '9001', 10: '9010', 50: '9050', 100: '9100' };

export async function createFanOutUsers(mock) {
  for (const [n, id] of Object.entries(FAN_OUT_USERS)) await mock.createUser(id, Number(n));
}

export const CREATE_EVENT_BODY = JSON.stringify({ name: 'x', userId: '1' });

/**
 * Sends POST /events to a server (whose upstream now fails every addEvent) until it refuses with
 * its breaker's 503 (`code: CIRCUIT_OPEN`). Returns the statuses of the attempts.
 */
export async function openWriteBreaker(baseUrl, { maxAttempts = 20 } = {}) {
  const statuses = [];
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const { status, body } = await call(`${baseUrl}/events`, {
      method: 'POST',
      json: JSON.parse(CREATE_EVENT_BODY),
    });
    statuses.push(status);
    if (status === 503 && body?.code === 'CIRCUIT_OPEN') return statuses;
  }
  throw new Error(`the write breaker of ${baseUrl} did not open: statuses ${statuses.join(', ')}`);
}

/**
 * Compares what the gateway and the baseline answer on the same routes, so that their figures are
 * figures of the same work. Returns the routes whose status or body differ.
 */
export async function compareAnswers(gatewayUrl, baselineUrl, paths) {
  const differences = [];
  for (const path of paths) {
    const [gateway, baseline] = await Promise.all([
      call(gatewayUrl + path),
      call(baselineUrl + path),
    ]);
    if (gateway.status !== baseline.status || !isDeepStrictEqual(gateway.body, baseline.body)) {
      differences.push(
        `${path}: gateway ${gateway.status} ${JSON.stringify(gateway.body).slice(0, 120)} / baseline ${baseline.status} ${JSON.stringify(baseline.body).slice(0, 120)}`,
      );
    }
  }
  return differences;
}
