import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import nock from 'nock';
import { CircuitBreakerRegistry } from '../src/circuit-breaker';
import { WRITE_BREAKER } from '../src/upstream/upstream-breakers';
import { guardUpstream, neverAnswer, UPSTREAM, upstreamUser } from '../src/testing/nock-upstream';
import { startRedis, type RedisServer } from './support/redis-server';
import { flushIo, useTestApp } from './support/test-app';

const upstream = guardUpstream();

const BODY = { name: 'Offsite', userId: '1', details: 'Lisbon' };

/** What the upstream received through POST /addEvent. */
function recordCreates() {
  const sent: { id: string; name: string }[] = [];
  return {
    sent,
    accept: (times = 1) =>
      nock(UPSTREAM)
        .post('/addEvent', (body: { id: string; name: string }) => (sent.push(body), true))
        .times(times)
        .reply(200, { success: true }),
  };
}

describe.each(['memory', 'redis'] as const)('Idempotency-Key (e2e, %s store)', (store) => {
  const gateway = useTestApp();
  let redis: RedisServer | undefined;

  beforeAll(async () => {
    if (store === 'redis') redis = await startRedis();
  });
  afterAll(() => redis?.stop());
  beforeEach(async () => {
    if (!redis) return;
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();
  });
  afterEach(() => upstream.assertNoUnmatchedRequests());

  const start = (env: Record<string, string> = {}) =>
    gateway.start({
      // Far longer than nock takes to answer, even on a busy machine: only the test about a
      // timeout lowers it, and there only the call that never answers is meant to time out.
      UPSTREAM_TIMEOUT_MS: '5000',
      ...(redis ? { REDIS_URL: redis.url } : {}),
      ...env,
    });
  const create = (
    app: NestFastifyApplication,
    key: string | undefined,
    body: unknown = BODY,
    url = '/events',
  ) =>
    app.inject({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/json',
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      payload: JSON.stringify(body),
    });
  const ownerExists = (times = 1) =>
    nock(UPSTREAM).get('/getUserById/1').times(times).reply(200, upstreamUser(1));

  it('answers a repeated request with the first outcome, marked replayed, and no upstream call', async () => {
    const app = await start();
    ownerExists();
    const creates = recordCreates();
    creates.accept();
    const first = await create(app, 'key-1');
    expect(first.statusCode).toBe(201);
    const again = await create(app, 'key-1');
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(creates.sent).toHaveLength(1);
  });

  it('shares the key between POST /events and POST /addEvent, each in its own status code', async () => {
    const app = await start();
    ownerExists();
    recordCreates().accept();
    const created = await create(app, 'shared', BODY, '/events');
    const legacy = await create(app, 'shared', BODY, '/addEvent');
    expect([created.statusCode, legacy.statusCode]).toEqual([201, 200]);
    expect(legacy.json()).toEqual(created.json());
    expect(legacy.headers['idempotent-replayed']).toBe('true');
  });

  it('compares the body after validation: a differently trimmed name is the same request', async () => {
    const app = await start();
    ownerExists();
    recordCreates().accept();
    await create(app, 'trim', BODY);
    const again = await create(app, 'trim', { ...BODY, name: '  Offsite ' });
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('refuses the same key with a different body: 422, nothing sent', async () => {
    const app = await start();
    ownerExists();
    recordCreates().accept();
    await create(app, 'key-2');
    const changed = await create(app, 'key-2', { ...BODY, name: 'Other' });
    expect(changed.statusCode).toBe(422);
    expect(changed.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('refuses the same key while its first request is still in flight: 409', async () => {
    const app = await start({ UPSTREAM_TIMEOUT_MS: '3000' });
    ownerExists();
    let answer: (() => void) | undefined;
    nock(UPSTREAM)
      .post('/addEvent')
      .reply((_uri, _body, callback) => {
        answer = () => callback(null, [200, { success: true }]);
      });
    const first = create(app, 'key-3');
    while (!answer) await flushIo();
    const concurrent = await create(app, 'key-3');
    expect(concurrent.statusCode).toBe(409);
    expect(concurrent.json()).toMatchObject({ code: 'IDEMPOTENCY_REQUEST_IN_FLIGHT' });
    expect(concurrent.headers['retry-after']).toBe('1');
    answer();
    expect((await first).statusCode).toBe(201);
  });

  it('after a timeout on a create the upstream did store, the retry answers 201 with that id and stores nothing twice', async () => {
    const app = await start({ UPSTREAM_TIMEOUT_MS: '1000' });
    ownerExists();
    let stored: { id: string } | undefined;
    nock(UPSTREAM)
      .post('/addEvent', (body: { id: string }) => ((stored = body), true))
      .reply(neverAnswer);
    const timedOut = await create(app, 'key-4');
    expect(timedOut.statusCode).toBe(504);
    // The retry asks for the event it sent, finds it, and answers with it: no second addEvent.
    nock(UPSTREAM)
      .get(`/getEventById/${stored!.id}`)
      .reply(200, { ...stored, userId: 1 });
    const retry = await create(app, 'key-4');
    expect(retry.statusCode).toBe(201);
    expect(retry.json().id).toBe(stored!.id);
    expect(retry.headers.location).toBe(`/events/${stored!.id}`);
  });

  it('after a 503 on a create the upstream did store, the retry answers 201 with that id', async () => {
    const app = await start();
    ownerExists();
    let stored: { id: string } | undefined;
    nock(UPSTREAM)
      .post('/addEvent', (body: { id: string }) => ((stored = body), true))
      .reply(503, { success: false });
    expect((await create(app, 'key-5')).statusCode).toBe(502);
    nock(UPSTREAM)
      .get(`/getEventById/${stored!.id}`)
      .reply(200, { ...stored, userId: 1 });
    const retry = await create(app, 'key-5');
    expect(retry.statusCode).toBe(201);
    expect(retry.json().id).toBe(stored!.id);
  });

  it('after a failed create the upstream did not store, the retry sends it again under the same id', async () => {
    const app = await start();
    ownerExists(2);
    const creates = recordCreates();
    nock(UPSTREAM)
      .post('/addEvent', (body: { id: string; name: string }) => (creates.sent.push(body), true))
      .reply(503, { success: false });
    expect((await create(app, 'key-6')).statusCode).toBe(502);
    const id = creates.sent[0].id;
    nock(UPSTREAM).get(`/getEventById/${id}`).reply(200, '');
    creates.accept();
    const retry = await create(app, 'key-6');
    expect(retry.statusCode).toBe(201);
    expect(creates.sent.map((event) => event.id)).toEqual([id, id]);
  });

  it('stores a definite refusal (422, unknown user) and replays it', async () => {
    const app = await start();
    nock(UPSTREAM).get('/getUserById/9').reply(200, '');
    const first = await create(app, 'key-7', { ...BODY, userId: '9' });
    expect(first.statusCode).toBe(422);
    const again = await create(app, 'key-7', { ...BODY, userId: '9' });
    expect(again.statusCode).toBe(422);
    const { requestId, ...replayed } = again.json();
    const { requestId: firstRequestId, ...original } = first.json();
    expect(replayed).toEqual(original);
    expect(again.headers['idempotent-replayed']).toBe('true');
    // The body names the request it answers (the replay), as its X-Correlation-Id does.
    expect(requestId).toBe(again.headers['x-correlation-id']);
    expect(requestId).not.toBe(firstRequestId);
  });

  it('replays a stored outcome while the write breaker is open', async () => {
    const app = await start();
    ownerExists();
    recordCreates().accept();
    const first = await create(app, 'key-8');
    app.get(CircuitBreakerRegistry).get(WRITE_BREAKER).forceOpen();
    const replay = await create(app, 'key-8');
    expect(replay.statusCode).toBe(201);
    expect(replay.json()).toEqual(first.json());
    expect((await create(app, undefined)).statusCode).toBe(503);
  });

  it.each([
    ['too long', 'k'.repeat(256)],
    ['not printable ASCII', 'clé'],
    ['empty', ''],
  ])('refuses a key that is %s with 400, sending nothing', async (_, key) => {
    const app = await start();
    const response = await create(app, key);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'INVALID_IDEMPOTENCY_KEY' });
  });

  it('behaves as before without a key: each request creates its own event', async () => {
    const app = await start();
    ownerExists(2);
    const creates = recordCreates();
    creates.accept(2);
    const [a, b] = [await create(app, undefined), await create(app, undefined)];
    expect(a.json().id).not.toBe(b.json().id);
    expect(creates.sent).toHaveLength(2);
  });
});
