import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import nock from 'nock';
import { guardUpstream, UPSTREAM, upstreamEvent, upstreamUser } from '../src/testing/nock-upstream';
import { LogCapture } from './support/log-capture';
import { sample } from './support/metrics';
import { createTestApp } from './support/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('observability (e2e)', () => {
  const upstream = guardUpstream();
  let app: NestFastifyApplication;
  const logs = new LogCapture();

  beforeAll(async () => {
    app = await createTestApp({ LOG_LEVEL: 'info' }, { logs });
  });
  afterEach(() => upstream.assertNoUnmatchedRequests());
  afterAll(() => app.close());

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', ...headers },
      payload: JSON.stringify(body),
    });

  /** Stubs GET /getUsers and records the correlation id the gateway sent with it. */
  function recordForwardedId(): () => string | undefined {
    let forwarded: string | undefined;
    nock(UPSTREAM)
      .get('/getUsers')
      .reply(function () {
        forwarded = this.req.headers['x-correlation-id'];
        return [200, []];
      });
    return () => forwarded;
  }

  describe('correlation ids', () => {
    it('forwards the client’s id on every upstream call the request causes', async () => {
      const id = 'client-trace-7';
      const scope = nock(UPSTREAM, { reqheaders: { 'x-correlation-id': id } })
        .get('/getUserById/2')
        .reply(200, upstreamUser(2, ['1', '2', '3']))
        .get(/^\/getEventById\/\d$/)
        .times(3)
        .reply(200, (uri) => upstreamEvent(uri.split('/').pop()!, 2));
      const response = await app.inject({
        method: 'GET',
        url: '/users/2/events',
        headers: { 'x-correlation-id': id },
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-correlation-id']).toBe(id);
      expect(scope.isDone()).toBe(true);
    });

    it('generates an id when none is given, and forwards that one', async () => {
      const forwarded = recordForwardedId();
      const response = await app.inject({ method: 'GET', url: '/users' });
      expect(response.headers['x-correlation-id']).toMatch(UUID);
      expect(forwarded()).toBe(response.headers['x-correlation-id']);
    });

    it('does not forward a hostile id: the upstream sees the generated one', async () => {
      const forwarded = recordForwardedId();
      const response = await app.inject({
        method: 'GET',
        url: '/users',
        headers: { 'x-correlation-id': 'a b\r\nX-Evil: 1' },
      });
      expect(forwarded()).toMatch(UUID);
      expect(forwarded()).toBe(response.headers['x-correlation-id']);
    });

    it('equals requestId in error bodies', async () => {
      nock(UPSTREAM).get('/getUserById/1').reply(503).get('/getUserById/1').reply(503);
      const response = await app.inject({
        method: 'GET',
        url: '/users/1',
        headers: { 'x-correlation-id': 'err-1' },
      });
      expect(response.statusCode).toBe(502);
      expect(response.json().requestId).toBe('err-1');
    });
  });

  describe('logs', () => {
    it('writes one JSON line per request with method, route, status, duration and correlation id', async () => {
      nock(UPSTREAM).get('/getUserById/1').reply(200, upstreamUser(1));
      await app.inject({
        method: 'GET',
        url: '/users/1',
        headers: { 'x-correlation-id': 'log-1' },
      });
      const line = logs.lines.find((entry) => entry.correlationId === 'log-1' && entry.res);
      expect(line).toMatchObject({
        level: 30,
        correlationId: 'log-1',
        route: '/users/:id',
        req: { method: 'GET', url: '/users/1' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
        msg: expect.stringMatching(/^GET \/users\/:id 200 \d+ ms$/),
      });
      expect(JSON.stringify(line)).not.toMatch(/headers|x-correlation-id/);
    });

    it('puts the correlation id on the app’s own log lines of that request (a breaker opening)', async () => {
      nock(UPSTREAM).persist().get('/getUserById/1').reply(200, upstreamUser(1));
      nock(UPSTREAM).post('/addEvent').times(3).reply(503, { success: false });
      for (let i = 0; i < 3; i += 1)
        await post('/addEvent', { name: 'x', userId: '1' }, { 'x-correlation-id': `b-${i}` });
      nock.cleanAll();
      const opening = logs.lines.find((entry) => /CLOSED -> OPEN/.test(entry.msg ?? ''));
      expect(opening).toMatchObject({ level: 40, context: 'CircuitBreaker', correlationId: 'b-2' });
    });

    it('logs answers given before any route runs (414), in one line without a stack trace', async () => {
      const url = `/users/${'a'.repeat(200)}`;
      const response = await app.inject({
        method: 'GET',
        url,
        headers: { 'x-correlation-id': 'long-1' },
      });
      expect(response.statusCode).toBe(414);
      const lines = logs.lines.filter((entry) => entry.correlationId === 'long-1');
      expect(lines).toEqual([
        expect.objectContaining({ res: { statusCode: 414 }, route: 'unmatched' }),
      ]);
    });

    it('logs an upstream failure once, with its cause, and the request line carries no stack', async () => {
      nock(UPSTREAM).get('/getEvents').times(2).reply(503);
      await app.inject({
        method: 'GET',
        url: '/events',
        headers: { 'x-correlation-id': 'fail-1' },
      });
      const lines = logs.lines.filter((entry) => entry.correlationId === 'fail-1');
      expect(lines).toHaveLength(2);
      const [cause, request] = lines;
      expect(cause).toMatchObject({ level: 40, context: 'Exceptions' });
      expect(cause.msg).toMatch(/GET \/events answered 502: UpstreamHttpError/);
      expect(request).toMatchObject({ level: 30, res: { statusCode: 502 } });
      expect(JSON.stringify(request)).not.toMatch(/stack|"err"/);
    });

    it('does not log probes and scrapes', async () => {
      const before = logs.lines.length;
      await app.inject({ method: 'GET', url: '/health' });
      await app.inject({ method: 'GET', url: '/metrics' });
      expect(logs.lines.slice(before).filter((entry) => entry.res)).toEqual([]);
    });
  });

  describe('metrics', () => {
    it('shows the breaker open at 2, its transition and rejections, and the upstream outcomes', async () => {
      // The previous test opened the write breaker; one more call is rejected without upstream.
      nock(UPSTREAM).get('/getUserById/1').reply(200, upstreamUser(1));
      expect((await post('/addEvent', { name: 'x', userId: '1' })).statusCode).toBe(503);

      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(sample(metrics, 'circuit_breaker_state', { name: 'event-api.write' })).toBe(2);
      expect(sample(metrics, 'circuit_breaker_state', { name: 'event-api.read' })).toBe(0);
      expect(
        sample(metrics, 'circuit_breaker_transitions_total', {
          name: 'event-api.write',
          from: 'CLOSED',
          to: 'OPEN',
        }),
      ).toBe(1);
      expect(sample(metrics, 'circuit_breaker_rejections_total', { name: 'event-api.write' })).toBe(
        1,
      );
      expect(
        sample(metrics, 'upstream_requests_total', { operation: 'addEvent', outcome: 'http_5xx' }),
      ).toBe(3);
      expect(
        sample(metrics, 'upstream_requests_total', { operation: 'addEvent', outcome: 'rejected' }),
      ).toBe(1);
      expect(
        sample(metrics, 'upstream_request_duration_seconds_count', {
          operation: 'getUserById',
          outcome: 'success',
        }),
      ).toBeGreaterThanOrEqual(4);
    });

    it('times requests by route template and status, leaving out probes and scrapes', async () => {
      await app.inject({ method: 'GET', url: '/health' });
      await app.inject({ method: 'GET', url: '/ready' });
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(
        sample(metrics, 'http_request_duration_seconds_count', {
          method: 'POST',
          route: '/addEvent',
          status_code: '503',
        }),
      ).toBe(1);
      expect(
        sample(metrics, 'http_request_duration_seconds_count', {
          method: 'GET',
          route: '/users/:id',
          status_code: '200',
        }),
      ).toBeGreaterThanOrEqual(1);
      expect(metrics).not.toMatch(
        /http_request_duration_seconds_count\{[^}]*route="\/(health|ready|metrics)"/,
      );
      expect(metrics).not.toMatch(/route="\/users\/1"/);
    });

    it('times answers given before any route runs (414) too', async () => {
      await app.inject({ method: 'GET', url: `/users/${'b'.repeat(200)}` });
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(
        sample(metrics, 'http_request_duration_seconds_count', {
          method: 'GET',
          route: 'unmatched',
          status_code: '414',
        }),
      ).toBeGreaterThanOrEqual(1);
    });

    it('includes Node’s default metrics', async () => {
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      for (const name of [
        'nodejs_eventloop_lag_seconds',
        'nodejs_heap_size_used_bytes',
        'nodejs_gc_duration_seconds',
      ]) {
        expect(metrics).toContain(`# TYPE ${name}`);
      }
    });
  });
});
