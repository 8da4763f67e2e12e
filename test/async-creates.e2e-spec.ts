import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import nock from 'nock';
import { CircuitBreakerRegistry } from '../src/circuit-breaker';
import { WRITE_BREAKER } from '../src/upstream/upstream-breakers';
import { DeliveryEvents, type DeliveryOutcome } from '../src/event-requests/delivery-events';
import { guardUpstream, UPSTREAM, upstreamUser } from '../src/testing/nock-upstream';
import { sample } from './support/metrics';
import { startRedis, useEmptyRedis } from './support/redis-server';
import { useTestApp } from './support/test-app';

const upstream = guardUpstream();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Resolves when the app's delivery worker reports `outcome` (an awaited event, no polling). */
function next(app: NestFastifyApplication, outcome: DeliveryOutcome): Promise<void> {
  return new Promise((resolve) => {
    const subscription = app.get(DeliveryEvents).on((heard) => {
      if (heard !== outcome) return;
      subscription.dispose();
      resolve();
    });
  });
}

describe('Prefer: respond-async (e2e, real Redis, worker in the app)', () => {
  const gateway = useTestApp();
  const redis = useEmptyRedis();
  afterEach(() => upstream.assertNoUnmatchedRequests());

  const start = (env: Record<string, string> = {}) =>
    gateway.start({ REDIS_URL: redis.url, ...env });
  const postAsync = (app: NestFastifyApplication, body: unknown, headers = {}) =>
    app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json', prefer: 'respond-async', ...headers },
      payload: JSON.stringify(body),
    });
  const status = async (app: NestFastifyApplication, location: string) =>
    (await app.inject({ method: 'GET', url: location })).json();

  it('accepts at once with 202, Location and Preference-Applied, then delivers exactly once', async () => {
    const app = await start();
    let sent: { id: string } | undefined;
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1))
      .post('/addEvent', (body: { id: string }) => ((sent = body), true))
      .once()
      .reply(200, { success: true });
    const delivered = next(app, 'delivered');
    const accepted = await postAsync(app, { name: 'Later', userId: '1' });
    expect(accepted.statusCode).toBe(202);
    expect(accepted.headers['preference-applied']).toBe('respond-async');
    const body = accepted.json();
    expect(body).toEqual({
      id: expect.stringMatching(UUID),
      status: 'pending',
      eventId: expect.stringMatching(UUID),
      attempts: 0,
      createdAt: expect.any(String),
    });
    expect(accepted.headers.location).toBe(`/event-requests/${body.id}`);

    await delivered;
    expect(sent?.id).toBe(body.eventId);
    expect(await status(app, accepted.headers.location as string)).toMatchObject({
      id: body.id,
      status: 'delivered',
      eventId: body.eventId,
      deliveredAt: expect.any(String),
    });
  });

  it('on POST /v1/events, names the request under /v1 (Location /v1/event-requests/{id})', async () => {
    const app = await start();
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1))
      .post('/addEvent')
      .reply(200, { success: true });
    const delivered = next(app, 'delivered');
    const accepted = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      payload: JSON.stringify({ name: 'Later', userId: '1' }),
    });
    expect(accepted.statusCode).toBe(202);
    expect(accepted.headers.location).toBe(`/v1/event-requests/${accepted.json().id}`);
    await delivered;
    expect(await status(app, accepted.headers.location as string)).toMatchObject({
      status: 'delivered',
    });
  });

  it('accepts while the upstream fails, and delivers once it recovers, without storing twice', async () => {
    const app = await start();
    const stored: string[] = [];
    nock(UPSTREAM)
      .get('/getUserById/1')
      .times(2)
      .reply(200, upstreamUser(1))
      .post('/addEvent')
      .reply(503, { success: false });
    const retried = next(app, 'retry');
    const accepted = await postAsync(app, { name: 'Resilient', userId: '1' });
    expect(accepted.statusCode).toBe(202);
    const { eventId } = accepted.json();
    await retried;
    // The failed attempt's effect is unknown: the next one asks for the event before sending.
    nock(UPSTREAM)
      .get(`/getEventById/${eventId}`)
      .reply(200, '')
      .post('/addEvent', (body: { id: string }) => (stored.push(body.id), true))
      .reply(200, { success: true });
    const delivered = next(app, 'delivered');
    await delivered;
    expect(stored).toEqual([eventId]);
    expect(await status(app, accepted.headers.location as string)).toMatchObject({
      status: 'delivered',
      attempts: 2, // the failed one and the one that delivered
    });
  });

  it('accepts while the write breaker is open, and waits for it instead of sending', async () => {
    const app = await start({ CIRCUIT_BREAKER_RESET_TIMEOUT_MS: '1000' });
    const breaker = app.get(CircuitBreakerRegistry).get(WRITE_BREAKER);
    breaker.forceOpen();
    const postponed = next(app, 'postponed');
    const accepted = await postAsync(app, { name: 'Patient', userId: '1' });
    expect(accepted.statusCode).toBe(202);
    await postponed; // no upstream call was made: nock has nothing to answer it
    expect(await status(app, accepted.headers.location as string)).toMatchObject({
      status: 'pending',
      attempts: 0,
    });
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1))
      .get(`/getEventById/${accepted.json().eventId}`)
      .reply(200, '')
      .post('/addEvent')
      .reply(200, { success: true });
    const delivered = next(app, 'delivered');
    breaker.reset();
    await delivered;
  });

  it('refuses a legacy POST /addEvent asking for respond-async at once while the write breaker is open', async () => {
    const app = await start();
    app.get(CircuitBreakerRegistry).get(WRITE_BREAKER).forceOpen();
    // The legacy alias never answers asynchronously, so the preference does not spare it the early
    // refusal, which comes before the body is even read (this one would be a 400 otherwise), and
    // makes no upstream call of any kind (nock has no scope; guardUpstream fails on any call).
    const response = await app.inject({
      method: 'POST',
      url: '/addEvent',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      payload: JSON.stringify({ name: '', userId: '1' }),
    });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'CIRCUIT_OPEN' });
  });

  it('ends failed, with the reason, when the upstream says the user does not exist', async () => {
    const app = await start();
    nock(UPSTREAM).get('/getUserById/9').reply(200, '');
    const refused = next(app, 'refused');
    const accepted = await postAsync(app, { name: 'Orphan', userId: '9' });
    expect(accepted.statusCode).toBe(202);
    await refused;
    expect(await status(app, accepted.headers.location as string)).toMatchObject({
      status: 'failed',
      lastError: 'Refused: user "9" does not exist',
    });
  });

  it('answers a repeated Idempotency-Key with the same 202 and request, and queues one delivery', async () => {
    const app = await start({ EVENT_DELIVERY_WORKER: 'false' });
    const headers = { 'idempotency-key': 'async-1' };
    const first = await postAsync(app, { name: 'Once', userId: '1' }, headers);
    const again = await postAsync(app, { name: 'Once', userId: '1' }, headers);
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual(first.json());
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const ready = (await app.inject({ method: 'GET', url: '/ready' })).json();
    expect(ready.details.eventDeliveries).toMatchObject({ status: 'up', waiting: 1 });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(metrics, 'event_delivery_jobs', { state: 'waiting' })).toBe(1);
    expect(sample(metrics, 'event_delivery_oldest_pending_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('looks the event up before sending when an earlier synchronous attempt under its key may have stored it', async () => {
    const app = await start();
    let stored: { id: string } | undefined;
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1))
      .post('/addEvent', (body: { id: string }) => ((stored = body), true))
      .reply(503, { success: false }); // the upstream stored it, then failed: effect unknown
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'maybe-1' };
    const payload = JSON.stringify({ name: 'Maybe', userId: '1' });
    const first = await app.inject({ method: 'POST', url: '/events', headers, payload });
    expect(first.statusCode).toBe(502);
    // The same key, now asking for respond-async: the delivery must ask before sending (nock has
    // no /addEvent any more: a second send would be an unmatched request).
    nock(UPSTREAM)
      .get(`/getEventById/${stored!.id}`)
      .reply(200, { ...stored, userId: 1 });
    const done = next(app, 'already_delivered');
    const accepted = await postAsync(
      app,
      { name: 'Maybe', userId: '1' },
      { 'idempotency-key': 'maybe-1' },
    );
    expect(accepted.statusCode).toBe(202);
    expect(accepted.json().eventId).toBe(stored!.id);
    await done;
    expect(await status(app, accepted.headers.location as string)).toMatchObject({
      status: 'delivered',
    });
  });

  it("answers the Location of every keyed async create (the request id follows the event's)", async () => {
    const app = await start({ EVENT_DELIVERY_WORKER: 'false' });
    // The request id of a keyed create is derived from its event id, a new one each time: eight of
    // them make it all but certain that an id failing the route's UUID check would show.
    for (let i = 0; i < 8; i += 1) {
      const body = { name: `Keyed ${i}`, userId: '1' };
      const accepted = await postAsync(app, body, { 'idempotency-key': `async-location-${i}` });
      expect(accepted.statusCode).toBe(202);
      expect(await status(app, accepted.headers.location as string)).toMatchObject({
        id: accepted.json().id,
        status: 'pending',
        eventId: accepted.json().eventId,
      });
    }
  });

  it('answers 404 for an unknown request id and 400 for one that is not an id', async () => {
    const app = await start();
    const unknown = await app.inject({
      method: 'GET',
      url: '/event-requests/5b2f0a1e-9c1d-4f7e-8a51-2d9d3c6f1e42',
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('EVENT_REQUEST_NOT_FOUND');
    const invalid = await app.inject({ method: 'GET', url: '/event-requests/not-an-id' });
    expect(invalid.statusCode).toBe(400);
  });
});

describe('Prefer: respond-async without REDIS_URL (e2e)', () => {
  const gateway = useTestApp();
  afterEach(() => upstream.assertNoUnmatchedRequests());

  it('does not apply the preference: the create happens now (201, no Preference-Applied)', async () => {
    const app = await gateway.start();
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1))
      .post('/addEvent')
      .reply(200, { success: true });
    const response = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      payload: JSON.stringify({ name: 'Now', userId: '1' }),
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers['preference-applied']).toBeUndefined();
    expect((await app.inject({ method: 'GET', url: '/event-requests/x' })).statusCode).toBe(404);
  });
});

describe('Prefer: respond-async while Redis is away (e2e, real Redis stopped mid-test)', () => {
  const gateway = useTestApp();

  it('answers 503 STATE_UNAVAILABLE with Retry-After for a request id, never a 500', async () => {
    const redis = await startRedis();
    try {
      const app = await gateway.start({ REDIS_URL: redis.url, EVENT_DELIVERY_WORKER: 'false' });
      const accepted = await app.inject({
        method: 'POST',
        url: '/events',
        headers: { 'content-type': 'application/json', prefer: 'respond-async' },
        payload: JSON.stringify({ name: 'Queued', userId: '1' }),
      });
      expect(accepted.statusCode).toBe(202);
      await redis.kill();
      const response = await app.inject({
        method: 'GET',
        url: accepted.headers.location as string,
      });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('2');
      expect(response.json()).toMatchObject({ code: 'STATE_UNAVAILABLE', statusCode: 503 });
      expect(response.body).not.toMatch(/stack|at \w+ \(/);
    } finally {
      await redis.stop();
    }
  });
});
