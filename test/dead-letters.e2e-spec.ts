import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { QueueEvents } from 'bullmq';
import nock from 'nock';
import { randomBytes } from 'node:crypto';
import { DeliveryEvents, type DeliveryOutcome } from '../src/event-requests/delivery-events';
import { EVENT_DELIVERY_QUEUE } from '../src/event-requests/event-request.model';
import { guardUpstream, UPSTREAM, upstreamUser } from '../src/testing/nock-upstream';
import { FakeClock } from '../src/testing/fake-clock';
import { LogCapture } from './support/log-capture';
import { useEmptyRedis } from './support/redis-server';
import { useTestApp, type TestAppOptions } from './support/test-app';

const upstream = guardUpstream();
const TOKEN = randomBytes(32).toString('hex');
const UNKNOWN_ID = '5b2f0a1e-9c1d-4f7e-8a51-2d9d3c6f1e42';

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

describe('dead letters: GET /admin/event-requests and POST /admin/event-requests/{id}/retry (e2e, real Redis)', () => {
  const gateway = useTestApp();
  const redis = useEmptyRedis();
  let events: QueueEvents;
  /** The reasons each job moved to failed for, in order, since the test started. */
  let failures: Map<string, string[]>;

  beforeEach(async () => {
    // BullMQ's own record of each job that moved to failed, read from the queue's event stream.
    events = new QueueEvents(EVENT_DELIVERY_QUEUE, {
      connection: { url: redis.url },
      prefix: 'event-gateway:queue',
    });
    failures = new Map();
    events.on('failed', ({ jobId, failedReason }) => {
      failures.set(jobId, [...(failures.get(jobId) ?? []), failedReason]);
    });
    await events.waitUntilReady();
  });
  afterEach(async () => {
    await events.close();
    upstream.assertNoUnmatchedRequests();
  });

  const start = (env: Record<string, string> = {}, options: TestAppOptions = {}) =>
    gateway.start({ REDIS_URL: redis.url, ADMIN_TOKEN: TOKEN, ...env }, options);
  /**
   * Resolves with the reason of the `nth` time the job `id` moved to failed. Every failure is
   * recorded from the test's start (a job refused at once may fail before the test asks).
   */
  const failed = (id: string, nth = 1) =>
    new Promise<string>((resolve) => {
      const check = () => {
        const reason = failures.get(id)?.[nth - 1];
        if (reason === undefined) return false;
        events.off('failed', onFailed);
        resolve(reason);
        return true;
      };
      const onFailed = () => void check();
      if (!check()) events.on('failed', onFailed);
    });
  const postAsync = (app: NestFastifyApplication, body: unknown) =>
    app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      payload: JSON.stringify(body),
    });
  const admin = (
    app: NestFastifyApplication,
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
  ) => app.inject({ method, url, headers });
  const list = (app: NestFastifyApplication, query = 'status=failed') =>
    admin(app, 'GET', `/admin/event-requests?${query}`);
  const retry = (app: NestFastifyApplication, id: string, headers?: Record<string, string>) =>
    admin(app, 'POST', `/admin/event-requests/${id}/retry`, headers);

  /** An async create for user 9, whom the upstream does not know: failed for good, at once. */
  async function refusedCreate(app: NestFastifyApplication, name = 'Orphan') {
    nock(UPSTREAM).get('/getUserById/9').reply(200, '');
    const accepted = await postAsync(app, { name, userId: '9' });
    expect(accepted.statusCode).toBe(202);
    const request = accepted.json<{ id: string; eventId: string; createdAt: string }>();
    expect(await failed(request.id)).toBe('Refused: user "9" does not exist');
    return request;
  }

  describe('listing', () => {
    it('lists a create refused for good with its event, times, reason and attempts', async () => {
      const app = await start();
      const request = await refusedCreate(app);
      const page = await list(app);
      expect(page.statusCode).toBe(200);
      expect(page.json()).toEqual({
        items: [
          {
            id: request.id,
            event: { id: request.eventId, name: 'Orphan', userId: '9' },
            createdAt: request.createdAt,
            failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
            reason: 'Refused: user "9" does not exist',
            attempts: 1,
          },
        ],
      });
    });

    it('pages newest failure first with a cursor, which skips nothing when items of a page are retried', async () => {
      const app = await start();
      const ids: string[] = [];
      for (const name of ['A', 'B', 'C']) ids.push((await refusedCreate(app, name)).id);
      const first = (await list(app, 'status=failed&limit=2')).json();
      expect(first.items.map((item: { id: string }) => item.id)).toEqual([ids[2], ids[1]]);
      expect(first.next).toEqual(expect.any(String));
      // The first page's items leave the failed set (the worker then refuses them again).
      nock(UPSTREAM)
        .get(/\/getEventById\//)
        .times(2)
        .reply(200, '')
        .get('/getUserById/9')
        .times(2)
        .reply(200, '');
      const refusedAgain = Promise.all([failed(ids[2], 2), failed(ids[1], 2)]);
      for (const id of [ids[2], ids[1]]) expect((await retry(app, id)).statusCode).toBe(202);
      const second = (
        await list(app, `status=failed&limit=2&cursor=${encodeURIComponent(first.next)}`)
      ).json();
      expect(second.items.map((item: { id: string }) => item.id)).toEqual([ids[0]]);
      expect(second.next).toBeUndefined();
      await refusedAgain;
    });

    it.each([
      ['', 'status must be failed (the only status listed)'],
      ['status=pending', 'status must be failed (the only status listed)'],
      ['status=failed&limit=0', 'limit must be an integer from 1 to 100'],
      ['status=failed&limit=101', 'limit must be an integer from 1 to 100'],
      ['status=failed&limit=abc', 'limit must be an integer from 1 to 100'],
      ['status=failed&limit=1.5', 'limit must be an integer from 1 to 100'],
      ['status=failed&cursor=%21%21', 'cursor must be the `next` of an earlier page'],
      ['status=failed&cursor=bm90LWEtY3Vyc29y', 'cursor must be the `next` of an earlier page'],
      ['status=failed&page=2', 'property page should not exist'],
    ])('refuses the query "%s" with 400 VALIDATION_FAILED', async (query, message) => {
      const app = await start();
      const response = await list(app, query);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED', message: [message] });
    });

    it('answers 401 without the token or with a wrong one, before validating anything', async () => {
      const app = await start();
      const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${TOKEN}x` }];
      for (const headers of attempts) {
        const response = await admin(app, 'GET', '/admin/event-requests?status=nope', headers);
        expect(response.statusCode).toBe(401);
        expect(response.json().code).toBe('UNAUTHORIZED');
      }
    });
  });

  describe('retry', () => {
    it('delivers a refused create exactly once once its user exists; a second retry is 409; audited', async () => {
      const logs = new LogCapture();
      const app = await start({}, { logs });
      const request = await refusedCreate(app);
      const sent: string[] = [];
      nock(UPSTREAM)
        .get(`/getEventById/${request.eventId}`)
        .reply(200, '')
        .get('/getUserById/9')
        .reply(200, upstreamUser(9))
        .post('/addEvent', (body: { id: string }) => (sent.push(body.id), true))
        .reply(200, { success: true });
      const delivered = next(app, 'delivered');
      const retried = await retry(app, request.id, {
        authorization: `Bearer ${TOKEN}`,
        'x-correlation-id': 'retry-1',
      });
      expect(retried.statusCode).toBe(202);
      expect(retried.headers.location).toBe(`/event-requests/${request.id}`);
      expect(retried.json()).toEqual({
        id: request.id,
        status: 'pending',
        eventId: request.eventId,
        retriedAt: expect.any(String),
      });
      await delivered;
      expect(sent).toEqual([request.eventId]);
      expect(
        (await app.inject({ method: 'GET', url: `/event-requests/${request.id}` })).json(),
      ).toMatchObject({ status: 'delivered', attempts: 2 });

      const again = await retry(app, request.id);
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('EVENT_REQUEST_NOT_FAILED');
      const unknown = await retry(app, UNKNOWN_ID);
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().code).toBe('EVENT_REQUEST_NOT_FOUND');
      expect((await retry(app, 'not-an-id')).statusCode).toBe(400);
      expect((await retry(app, request.id, {})).statusCode).toBe(401);

      expect(logs.lines.filter((line) => line.audit === true)).toEqual([
        expect.objectContaining({
          level: 40,
          context: 'Admin',
          correlationId: 'retry-1',
          action: 'retry',
          eventRequest: request.id,
          eventId: request.eventId,
          previousState: 'failed',
          newState: 'pending',
          clientAddress: '127.0.0.1',
          msg: `Operator retry on event request "${request.id}": failed -> pending (client 127.0.0.1)`,
        }),
      ]);
    });

    it('retries a create given up for its age without giving it up again, and sends nothing when the upstream had stored it', async () => {
      const wallClock = new FakeClock(Date.now());
      const app = await start({ EVENT_DELIVERY_MAX_AGE_MS: '60000' }, { wallClock });
      // The send fails (503) although the upstream stored the event.
      nock(UPSTREAM)
        .get('/getUserById/1')
        .reply(200, upstreamUser(1))
        .post('/addEvent')
        .reply(503, { success: false });
      const retrying = next(app, 'retry');
      const accepted = (await postAsync(app, { name: 'Stored anyway', userId: '1' })).json();
      await retrying;
      wallClock.advance(60_001);
      expect(await failed(accepted.id)).toBe('Not delivered within 60000 ms: given up');
      expect((await list(app)).json().items).toEqual([
        expect.objectContaining({
          id: accepted.id,
          reason: 'Not delivered within 60000 ms: given up',
        }),
      ]);

      // The retry's run looks the event up by id first: found, so nothing is sent again.
      nock(UPSTREAM)
        .get(`/getEventById/${accepted.eventId}`)
        .reply(200, { id: accepted.eventId, name: 'Stored anyway', userId: '1' });
      const done = next(app, 'already_delivered');
      expect((await retry(app, accepted.id)).statusCode).toBe(202);
      await done;
      expect(
        (await app.inject({ method: 'GET', url: `/event-requests/${accepted.id}` })).json(),
      ).toMatchObject({ status: 'delivered' });
      expect((await list(app)).json()).toEqual({ items: [] });
    });

    it('moves a create back once when two retries race: one 202, one 409, one delivery', async () => {
      const app = await start();
      const request = await refusedCreate(app);
      nock(UPSTREAM)
        .get(`/getEventById/${request.eventId}`)
        .reply(200, '')
        .get('/getUserById/9')
        .reply(200, upstreamUser(9))
        .post('/addEvent')
        .once()
        .reply(200, { success: true });
      const delivered = next(app, 'delivered');
      const answers = await Promise.all([retry(app, request.id), retry(app, request.id)]);
      expect(answers.map((answer) => answer.statusCode).sort()).toEqual([202, 409]);
      await delivered;
    });
  });

  it('has no /admin/event-requests without REDIS_URL (no queue): 404', async () => {
    const app = await gateway.start({ ADMIN_TOKEN: TOKEN });
    const response = await admin(app, 'GET', '/admin/event-requests?status=failed');
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('ROUTE_NOT_FOUND');
  });
});
