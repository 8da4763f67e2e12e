import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import nock from 'nock';
import { FakeClock } from '../src/testing/fake-clock';
import { guardUpstream, UPSTREAM, upstreamEvent, upstreamUser } from '../src/testing/nock-upstream';
import { sample } from './support/metrics';
import { flushIo, useTestApp } from './support/test-app';

/** One slot toward the upstream, no queue: the second call at once is past the limit. */
const ONE_SLOT = {
  READ_CACHE_TTL_MS: '5000',
  READ_CACHE_STALE_IF_ERROR_MS: '60000',
  UPSTREAM_CONCURRENCY_LIMIT_INITIAL: '1',
  UPSTREAM_CONCURRENCY_LIMIT_MIN: '1',
  UPSTREAM_CONCURRENCY_LIMIT_MAX: '1',
  UPSTREAM_CONCURRENCY_QUEUE_SIZE: '0',
};

const upstream = guardUpstream();

/** GET /getEvents upstream, held until the test answers it: it keeps the one slot taken. */
function heldEventList() {
  let answer: (() => void) | undefined;
  nock(UPSTREAM)
    .get('/getEvents')
    .reply((_uri, _body, callback: (error: null, result: nock.ReplyFnResult) => void) => {
      answer = () => callback(null, [200, [upstreamEvent(1, 1)]]);
    });
  return {
    get arrived() {
      return answer !== undefined;
    },
    answer() {
      if (!answer) throw new Error('the held call has not arrived');
      answer();
    },
  };
}

/** Runs pending I/O until `done` (bounded: the assertion after it says what did not happen). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i += 1) await flushIo();
}

describe('adaptive concurrency limit (e2e)', () => {
  const gateway = useTestApp();
  let wallClock: FakeClock;
  beforeEach(() => (wallClock = new FakeClock(Date.now())));
  afterEach(() => upstream.assertNoUnmatchedRequests());

  const start = (env: Record<string, string> = {}) =>
    gateway.start({ ...ONE_SLOT, ...env }, { wallClock });
  const get = (app: NestFastifyApplication, url: string) => app.inject({ method: 'GET', url });
  const metrics = async (app: NestFastifyApplication) => (await get(app, '/metrics')).body;

  it('past the limit, serves a cached read stale and refuses an uncached one with 503 UPSTREAM_OVERLOADED and Retry-After, without calling the upstream', async () => {
    const app = await start();
    nock(UPSTREAM).get('/getUserById/1').reply(200, upstreamUser(1));
    expect((await get(app, '/users/1')).statusCode).toBe(200);
    wallClock.advance(7_000); // no longer fresh: a read must ask the upstream
    const before = await metrics(app);

    const held = heldEventList();
    const busy = get(app, '/events');
    await until(() => held.arrived);
    expect(held.arrived).toBe(true);

    const cached = await get(app, '/users/1');
    expect(cached.statusCode).toBe(200);
    expect(cached.json()).toMatchObject({ id: '1' });
    expect(cached.headers['cache-status']).toBe('event-gateway; hit; ttl=-2');

    const uncached = await get(app, '/users/2');
    expect(uncached.statusCode).toBe(503);
    expect(uncached.headers['retry-after']).toBe('1');
    expect(uncached.json()).toMatchObject({
      statusCode: 503,
      code: 'UPSTREAM_OVERLOADED',
      retryAfter: 1,
    });

    const ready = (await get(app, '/ready')).json();
    expect(ready.status).toBe('ok');
    expect(ready.details.concurrencyLimit).toEqual({
      status: 'up',
      limit: 1,
      inFlight: 1,
      queued: 0,
    });

    const after = await metrics(app);
    const delta = (name: string, labels: Record<string, string>) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('upstream_concurrency_refusals_total', { reason: 'queue_full' })).toBe(2);
    expect(
      delta('upstream_requests_total', { operation: 'getUserById', outcome: 'overloaded' }),
    ).toBe(2);
    expect(sample(after, 'upstream_concurrency_limit')).toBe(1);
    expect(sample(after, 'upstream_concurrency_in_flight')).toBe(1);

    held.answer();
    expect((await busy).statusCode).toBe(200);
    expect((await get(app, '/ready')).json().details.concurrencyLimit).toMatchObject({
      inFlight: 0,
    });
  });

  it('lets a read wait in the queue and sends it as soon as the slot is free', async () => {
    const app = await start({
      UPSTREAM_CONCURRENCY_QUEUE_SIZE: '1',
      UPSTREAM_CONCURRENCY_QUEUE_TIMEOUT_MS: '60000',
    });
    const held = heldEventList();
    const busy = get(app, '/events');
    await until(() => held.arrived);
    const user = nock(UPSTREAM).get('/getUserById/3').reply(200, upstreamUser(3));
    const waiting = get(app, '/users/3');
    const queued = async () =>
      (await get(app, '/ready')).json().details.concurrencyLimit.queued as number;
    let depth = 0;
    for (let i = 0; i < 100 && depth === 0; i += 1) depth = await queued();
    expect(depth).toBe(1);
    expect(user.isDone()).toBe(false);

    held.answer();
    expect((await waiting).statusCode).toBe(200);
    expect((await busy).statusCode).toBe(200);
    expect(user.isDone()).toBe(true);
  });

  it('sets no process-wide limit with UPSTREAM_ADAPTIVE_CONCURRENCY=false', async () => {
    const app = await start({ UPSTREAM_ADAPTIVE_CONCURRENCY: 'false' });
    const held = heldEventList();
    const busy = get(app, '/events');
    await until(() => held.arrived);
    nock(UPSTREAM).get('/getUserById/2').reply(200, upstreamUser(2));
    expect((await get(app, '/users/2')).statusCode).toBe(200);
    expect((await get(app, '/ready')).json().details.concurrencyLimit).toEqual({
      status: 'up',
      enabled: false,
    });
    held.answer();
    expect((await busy).statusCode).toBe(200);
  });
});
