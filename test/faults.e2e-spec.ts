import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startGateway, startMock, type ServerProcess } from './support/built-servers';
import { startRedis, type RedisServer } from './support/redis-server';

// Faults injected into real processes (the built gateway, the built mock, a real Redis), and the
// promises checked by counting at the mock: nothing stored twice, nothing lost, every answer typed,
// /health responsive.

/** The codes a create may be answered with while things fail (README, "Errors"). */
const TYPED = new Set([
  'UPSTREAM_BAD_STATUS',
  'UPSTREAM_UNREACHABLE',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_MALFORMED_RESPONSE',
  'CIRCUIT_OPEN',
  'STATE_UNAVAILABLE',
  'ACCEPTANCE_UNKNOWN',
  'IDEMPOTENCY_REQUEST_IN_FLIGHT',
]);

interface Answer {
  readonly status: number;
  readonly body: { code?: string; id?: string; eventId?: string };
}

async function post(base: string, key: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key, ...headers },
    body: JSON.stringify({ name: `Fault ${key}`, userId: '1' }),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/** A definite answer: created (201) or accepted (202). Anything else must be a typed error. */
function definite(answer: Answer): boolean {
  if (answer.status === 201 || answer.status === 202) return true;
  expect({ status: answer.status, typed: TYPED.has(answer.body.code ?? '') }).toEqual({
    status: answer.status,
    typed: true,
  });
  return false;
}

/** Waits for a condition of the processes under test, asking again every `everyMs`. */
async function until(what: string, condition: () => Promise<boolean>, everyMs = 100) {
  for (let attempt = 0; !(await condition()); attempt += 1) {
    if (attempt > 600) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

describe('promises under injected faults (e2e, real processes)', () => {
  let redis: RedisServer;
  let mock: ServerProcess;
  let gateway: ServerProcess;

  beforeAll(async () => {
    redis = await startRedis();
    mock = await startMock('faults-mock');
    gateway = await startGateway('faults-gateway', {
      EVENT_API_BASE_URL: mock.base,
      REDIS_URL: redis.url,
      UPSTREAM_TIMEOUT_MS: '1000',
      REDIS_QUEUE_TIMEOUT_MS: '500',
      CIRCUIT_BREAKER_RESET_TIMEOUT_MS: '300',
      CIRCUIT_BREAKER_MAX_RESET_TIMEOUT_MS: '600',
    });
  }, 120_000);

  afterAll(async () => {
    redis?.resume();
    await gateway?.kill();
    await mock?.kill();
    await redis?.stop();
  });

  const mockConfig = (addEventMode: string) =>
    fetch(`${mock.base}/__mock/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ addEventMode }),
    });
  const stored = async () =>
    (
      (await (await fetch(`${mock.base}/__mock/stats`)).json()) as {
        stored: Record<string, number>;
      }
    ).stored;
  const redisUp = async () => {
    const ready = (await (await fetch(`${gateway.base}/ready`)).json()) as {
      details?: { redis?: { status?: string } };
    };
    return ready.details?.redis?.status === 'up';
  };

  it('keyed creates during a Redis stall (SIGSTOP), with the upstream storing then failing, are stored once each', async () => {
    await mockConfig('store-then-503');
    const keys = Array.from({ length: 12 }, (_, i) => `stall-${i}`);
    redis.pause();
    const first = await Promise.all(keys.map((key) => post(gateway.base, key)));
    for (const answer of first) definite(answer);
    redis.resume();
    await mockConfig('ok');
    await until('Redis is up again for the gateway', redisUp);

    // Every key retried on the same replica until it has a definite answer.
    const ids = new Map<string, string>();
    for (const key of keys) {
      await until(`a definite answer for ${key}`, async () => {
        const answer = await post(gateway.base, key);
        if (!definite(answer)) return false;
        ids.set(key, answer.body.id ?? '');
        return true;
      });
    }
    const counts = await stored();
    for (const key of keys)
      expect({ key, times: counts[ids.get(key) ?? ''] }).toEqual({ key, times: 1 });
  }, 120_000);

  it('keyed async creates across a Redis stall: every one delivered, none twice', async () => {
    await mockConfig('ok');
    const keys = Array.from({ length: 12 }, (_, i) => `async-stall-${i}`);
    const async = { prefer: 'respond-async' };
    const half = keys.length / 2;
    const early = await Promise.all(
      keys.slice(0, half).map((key) => post(gateway.base, key, async)),
    );
    redis.pause();
    const late = await Promise.all(keys.slice(half).map((key) => post(gateway.base, key, async)));
    redis.resume();
    await until('Redis is up again for the gateway', redisUp);

    const answers = new Map<string, Answer>();
    [...early, ...late].forEach((answer, i) => answers.set(keys[i], answer));
    for (const key of keys) {
      await until(`a definite answer for ${key}`, async () => {
        const answer = answers.get(key) as Answer;
        if (definite(answer)) return true;
        answers.set(key, await post(gateway.base, key, async));
        return false;
      });
    }
    // Each one's event id, stored once; accepted ones once delivered.
    const eventIds = keys.map((key) => {
      const { body } = answers.get(key) as Answer;
      return body.eventId ?? body.id ?? '';
    });
    await until('every accepted create delivered', async () => {
      const counts = await stored();
      return eventIds.every((id) => counts[id] !== undefined);
    });
    const counts = await stored();
    for (const id of eventIds) expect({ id, times: counts[id] }).toEqual({ id, times: 1 });
  }, 120_000);
});

describe('a hostile upstream (e2e, real processes)', () => {
  let gateway: ServerProcess;
  const hostile = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.url === '/getEvents') {
      // 1 MiB of nesting.
      const depth = 512 * 1024;
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end('['.repeat(depth) + ']'.repeat(depth));
      return;
    }
    if (request.url === '/getUsers') {
      // A drip: a byte every 200 ms, never finishing within the deadline.
      response.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => response.write(' '), 200);
      response.on('close', () => clearInterval(timer));
      return;
    }
    response.writeHead(404).end();
  });

  beforeAll(async () => {
    hostile.listen(0, '127.0.0.1');
    await once(hostile, 'listening');
    gateway = await startGateway('faults-hostile', {
      EVENT_API_BASE_URL: `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`,
      UPSTREAM_TIMEOUT_MS: '1000',
      READ_CACHE_TTL_MS: '0',
      READ_CACHE_STALE_IF_ERROR_MS: '0',
    });
  }, 120_000);

  afterAll(async () => {
    await gateway?.kill();
    hostile.closeAllConnections();
    await new Promise((resolve) => hostile.close(resolve));
  });

  it('answers every read typed while /health stays up (deep JSON, drip)', async () => {
    const reads = [
      ...Array.from({ length: 30 }, () => '/events'),
      ...Array.from({ length: 5 }, () => '/users'),
    ].map(async (path) => {
      const response = await fetch(`${gateway.base}${path}`);
      return { status: response.status, body: (await response.json()) as { code?: string } };
    });
    const health = Array.from(
      { length: 10 },
      async () => (await fetch(`${gateway.base}/health`)).status,
    );
    expect(await Promise.all(health)).toEqual(Array(10).fill(200));
    for (const { status, body } of await Promise.all(reads)) {
      expect([502, 503, 504]).toContain(status);
      expect(['UPSTREAM_MALFORMED_RESPONSE', 'UPSTREAM_TIMEOUT', 'CIRCUIT_OPEN']).toContain(
        body.code,
      );
    }
  }, 120_000);
});
