import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import nock from 'nock';
import { randomBytes } from 'node:crypto';
import { CircuitBreakerRegistry, CircuitState } from '../src/circuit-breaker';
import { READ_BREAKER, WRITE_BREAKER } from '../src/upstream/upstream-breakers';
import { ADMIN_EXAMPLES } from '../src/admin/admin.openapi';
import { guardUpstream, UPSTREAM, upstreamUser } from '../src/testing/nock-upstream';
import { LogCapture } from './support/log-capture';
import { sample } from './support/metrics';
import { useTestApp } from './support/test-app';

const TOKEN = randomBytes(32).toString('hex');
const BASE = '/admin/circuit-breakers';
const READ_POLICY = '50% of at least 20 calls within 10000 ms';
const WRITE_POLICY = '3 failures within 30000 ms';

/** The structure of a JSON value: its keys (recursively) and the types of its leaves. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, shape(inner)]),
    );
  }
  return typeof value;
}

describe('admin: circuit breaker controls (e2e)', () => {
  const upstream = guardUpstream();
  const gateway = useTestApp();
  let app: NestFastifyApplication;

  afterEach(() => upstream.assertNoUnmatchedRequests());

  const start = async (env: Record<string, string> = {}, logs?: LogCapture) => {
    app = await gateway.start({ ADMIN_TOKEN: TOKEN, ...env }, logs ? { logs } : {});
    return app;
  };

  interface AdminOptions {
    /** The Authorization header; the right bearer token by default, none with `null`. */
    readonly authorization?: string | null;
    readonly headers?: Record<string, string>;
    readonly payload?: string;
  }

  const admin = (method: 'GET' | 'POST', path: string, options: AdminOptions = {}) => {
    const authorization =
      options.authorization === undefined ? `Bearer ${TOKEN}` : options.authorization;
    return app.inject({
      method,
      url: `${BASE}${path}`,
      headers: {
        ...(authorization === null ? {} : { authorization }),
        ...options.headers,
      },
      ...(options.payload === undefined ? {} : { payload: options.payload }),
    });
  };
  const list = (options?: AdminOptions) => admin('GET', '', options);
  const act = (name: string, action: string, options?: AdminOptions) =>
    admin('POST', `/${name}/${action}`, options);

  const breaker = (name: string) => app.get(CircuitBreakerRegistry).get(name);
  const create = (url = '/events') =>
    app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'Standup', userId: '1' }),
    });
  const get = (url: string) => app.inject({ method: 'GET', url });
  const metrics = async () => (await get('/metrics')).body;

  describe('without ADMIN_TOKEN', () => {
    it('has no admin routes: 404 like any unknown path, with or without a token, and nothing changes', async () => {
      app = await gateway.start();
      const unknown = await app.inject({ method: 'POST', url: '/no/such/path' });
      expect(unknown.statusCode).toBe(404);
      for (const authorization of [null, `Bearer ${TOKEN}`]) {
        const listed = await list({ authorization });
        expect(listed.statusCode).toBe(404);
        expect(listed.json()).toMatchObject({
          code: 'ROUTE_NOT_FOUND',
          message: `Cannot GET ${BASE}`,
        });
        for (const action of ['force-open', 'disable', 'reset']) {
          const acted = await act(WRITE_BREAKER, action, { authorization });
          expect(acted.statusCode).toBe(404);
          expect(acted.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
          expect(Object.keys(acted.json()).sort()).toEqual(Object.keys(unknown.json()).sort());
        }
      }
      expect(breaker(WRITE_BREAKER).state).toBe(CircuitState.Closed);
    });
  });

  describe('authentication', () => {
    beforeEach(() => start());

    it('answers 401 with WWW-Authenticate: Bearer and the common error body without a token', async () => {
      const response = await list({ authorization: null });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="event-gateway-admin"');
      expect(response.json()).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        code: 'UNAUTHORIZED',
        message: 'This route needs the admin token: send Authorization: Bearer <ADMIN_TOKEN>',
        requestId: response.headers['x-correlation-id'],
      });
    });

    it.each([
      ['a different token of the same length', `Bearer ${randomBytes(32).toString('hex')}`],
      [
        'the token with a character changed',
        `Bearer ${TOKEN.slice(0, -1)}${TOKEN.endsWith('0') ? '1' : '0'}`,
      ],
      ['a prefix of the token', `Bearer ${TOKEN.slice(0, 32)}`],
      ['the token with a character more', `Bearer ${TOKEN}0`],
      ['the token in upper case', `Bearer ${TOKEN.toUpperCase()}`],
    ])(
      'answers 401 (invalid_token) for %s, and the action is not applied',
      async (_, authorization) => {
        for (const response of [
          await list({ authorization }),
          await act(WRITE_BREAKER, 'force-open', { authorization }),
        ]) {
          expect(response.statusCode).toBe(401);
          expect(response.headers['www-authenticate']).toBe(
            'Bearer realm="event-gateway-admin", error="invalid_token"',
          );
          expect(response.json()).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
        }
        expect(breaker(WRITE_BREAKER).state).toBe(CircuitState.Closed);
      },
    );

    it.each([
      ['another scheme', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`],
      ['the bare token', TOKEN],
      ['an empty bearer token', 'Bearer '],
      ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
    ])('answers 401 for %s', async (_, authorization) => {
      const response = await act(WRITE_BREAKER, 'force-open', { authorization });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(breaker(WRITE_BREAKER).state).toBe(CircuitState.Closed);
    });

    it('accepts the scheme in any case', async () => {
      expect((await list({ authorization: `bearer ${TOKEN}` })).statusCode).toBe(200);
      expect((await list({ authorization: `BEARER ${TOKEN}` })).statusCode).toBe(200);
    });

    it('checks the token before the name: no token, no hint whether a breaker exists', async () => {
      for (const name of ['no-such-breaker', 'Not_Valid']) {
        expect((await act(name, 'reset', { authorization: null })).statusCode).toBe(401);
      }
    });
  });

  describe('GET /admin/circuit-breakers', () => {
    beforeEach(() => start());

    it('lists every breaker with its state, window counts, totals, retryAfter and policy', async () => {
      nock(UPSTREAM).get('/getUsers').reply(200, []);
      nock(UPSTREAM).get('/getEvents').times(2).reply(503);
      expect((await get('/users')).statusCode).toBe(200);
      expect((await get('/events')).statusCode).toBe(502); // one failure, retried once
      const response = await list();
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual([
        {
          name: READ_BREAKER,
          state: 'CLOSED',
          failuresInWindow: 2,
          callsInWindow: 3,
          totals: { successes: 1, failures: 2, rejections: 0 },
          retryAfter: 0,
          policy: READ_POLICY,
        },
        {
          name: WRITE_BREAKER,
          state: 'CLOSED',
          failuresInWindow: 0,
          callsInWindow: 0,
          totals: { successes: 0, failures: 0, rejections: 0 },
          retryAfter: 0,
          policy: WRITE_POLICY,
        },
      ]);
      expect(shape(response.json())).toEqual(shape(ADMIN_EXAMPLES.list));
    });

    it('shows an OPEN breaker with the seconds a refused call is told to wait', async () => {
      nock(UPSTREAM).get('/getUserById/1').times(3).reply(200, upstreamUser(1));
      nock(UPSTREAM).post('/addEvent').times(3).reply(503);
      for (let i = 0; i < 3; i += 1) expect((await create()).statusCode).toBe(502);
      gateway.clock.advance(2_000);
      const write = (await list()).json()[1];
      expect(write).toMatchObject({ name: WRITE_BREAKER, state: 'OPEN', failuresInWindow: 3 });
      // The open wait is 10 s minus up to 10% jitter; 2 s of it have passed.
      expect(write.retryAfter).toBeGreaterThanOrEqual(7);
      expect(write.retryAfter).toBeLessThanOrEqual(8);
      const refused = await create();
      expect(Number(refused.headers['retry-after'])).toBe(write.retryAfter);
    });
  });

  describe('force-open', () => {
    it('answers 200 with the new snapshot and the previous state', async () => {
      await start();
      const response = await act(WRITE_BREAKER, 'force-open');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        name: WRITE_BREAKER,
        state: 'FORCED_OPEN',
        failuresInWindow: 0,
        callsInWindow: 0,
        totals: { successes: 0, failures: 0, rejections: 0 },
        retryAfter: 10,
        policy: WRITE_POLICY,
        previousState: 'CLOSED',
      });
      expect(shape(response.json())).toEqual(shape(ADMIN_EXAMPLES.forceOpen));
    });

    it('refuses every create at once with the usual 503 (FORCED_OPEN, Retry-After), without any upstream call, until reset', async () => {
      await start();
      await act(WRITE_BREAKER, 'force-open');
      nock.cleanAll(); // nothing is stubbed: any upstream call would be unmatched and fail the test
      for (const url of ['/events', '/addEvent']) {
        const refused = await create(url);
        expect(refused.statusCode).toBe(503);
        expect(refused.headers['retry-after']).toBe('10');
        expect(refused.json()).toEqual({
          statusCode: 503,
          success: false,
          error: 'Service temporarily unavailable',
          code: 'CIRCUIT_OPEN',
          message: 'Event service is currently experiencing issues. Please try again later.',
          retryAfter: 10,
          circuitBreakerState: 'FORCED_OPEN',
          requestId: refused.headers['x-correlation-id'],
        });
      }
      // Time alone never ends it: long past any open wait, still refused.
      gateway.clock.advance(24 * 60 * 60 * 1000);
      expect((await create()).json().circuitBreakerState).toBe('FORCED_OPEN');
      upstream.assertNoUnmatchedRequests();
      expect((await list()).json()[1]).toMatchObject({
        state: 'FORCED_OPEN',
        totals: { successes: 0, failures: 0, rejections: 3 },
      });

      // Reads are guarded by the other breaker and still served.
      nock(UPSTREAM).get('/getEvents').reply(200, []);
      expect((await get('/events')).statusCode).toBe(200);
    });

    it('refuses reads the cache cannot answer when the read breaker is forced open', async () => {
      await start();
      await act(READ_BREAKER, 'force-open');
      for (const url of ['/events', '/users', '/users/1', '/getEvents']) {
        const refused = await get(url);
        expect(refused.statusCode).toBe(503);
        expect(refused.json()).toMatchObject({ circuitBreakerState: 'FORCED_OPEN' });
      }
      upstream.assertNoUnmatchedRequests();
    });

    it('makes readiness degraded (200), and 503 with READINESS_FAIL_ON_OPEN_CIRCUIT=true', async () => {
      await start();
      await act(WRITE_BREAKER, 'force-open');
      const ready = await get('/ready');
      expect(ready.statusCode).toBe(200);
      expect(ready.json().status).toBe('degraded');
      expect(ready.json().details.circuitBreakers.breakers[WRITE_BREAKER]).toMatchObject({
        state: 'FORCED_OPEN',
        retryAfterSeconds: 10,
      });

      await start({ READINESS_FAIL_ON_OPEN_CIRCUIT: 'true' });
      expect((await get('/ready')).statusCode).toBe(200);
      await act(WRITE_BREAKER, 'force-open');
      const failing = await get('/ready');
      expect(failing.statusCode).toBe(503);
      expect(failing.json()).toMatchObject({
        status: 'error',
        error: { circuitBreakers: { status: 'down' } },
      });
      expect(failing.json().error.circuitBreakers.breakers[WRITE_BREAKER].state).toBe(
        'FORCED_OPEN',
      );
    });

    it('shows 3 in circuit_breaker_state and counts the transition and the refusals', async () => {
      await start();
      const before = await metrics();
      const transitions = (text: string) =>
        sample(text, 'circuit_breaker_transitions_total', {
          name: WRITE_BREAKER,
          from: 'CLOSED',
          to: 'FORCED_OPEN',
        }) ?? 0;
      const rejections = (text: string) =>
        sample(text, 'circuit_breaker_rejections_total', { name: WRITE_BREAKER }) ?? 0;
      expect(sample(before, 'circuit_breaker_state', { name: WRITE_BREAKER })).toBe(0);

      await act(WRITE_BREAKER, 'force-open');
      await create();
      await create();
      const after = await metrics();
      expect(sample(after, 'circuit_breaker_state', { name: WRITE_BREAKER })).toBe(3);
      expect(sample(after, 'circuit_breaker_state', { name: READ_BREAKER })).toBe(0);
      expect(transitions(after) - transitions(before)).toBe(1);
      expect(rejections(after) - rejections(before)).toBe(2);
    });

    it('is idempotent: forcing a forced-open breaker keeps it so', async () => {
      await start();
      await act(WRITE_BREAKER, 'force-open');
      const again = await act(WRITE_BREAKER, 'force-open');
      expect(again.json()).toMatchObject({ state: 'FORCED_OPEN', previousState: 'FORCED_OPEN' });
    });
  });

  describe('disable', () => {
    /** 30 reads of /events against an upstream that fails every call (each read tries twice). */
    async function readThirtyTimesFailing(): Promise<{
      statuses: number[];
      upstreamCalls: number;
    }> {
      let upstreamCalls = 0;
      nock(UPSTREAM)
        .get('/getEvents')
        .times(60)
        .reply(() => {
          upstreamCalls += 1;
          return [503, ''];
        });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i += 1) statuses.push((await get('/events')).statusCode);
      return { statuses, upstreamCalls };
    }

    it('without it, the same failing reads open the read breaker (the control for the next test)', async () => {
      await start();
      const { statuses, upstreamCalls } = await readThirtyTimesFailing();
      // 20 calls (10 reads and their retries) open it; the other 20 reads are refused at once.
      expect(upstreamCalls).toBe(20);
      expect(statuses.filter((status) => status === 503)).toHaveLength(20);
      expect(breaker(READ_BREAKER).state).toBe(CircuitState.Open);
    });

    it('lets 30 failing reads through without tripping, still counting them in totals and metrics', async () => {
      await start();
      const before = await metrics();
      const http5xx = (text: string) =>
        sample(text, 'upstream_requests_total', { operation: 'getEvents', outcome: 'http_5xx' }) ??
        0;

      const response = await act(READ_BREAKER, 'disable');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        name: READ_BREAKER,
        state: 'DISABLED',
        previousState: 'CLOSED',
        retryAfter: 0,
      });
      expect(shape(response.json())).toEqual(shape(ADMIN_EXAMPLES.disable));

      const { statuses, upstreamCalls } = await readThirtyTimesFailing();
      expect(new Set(statuses)).toEqual(new Set([502]));
      expect(upstreamCalls).toBe(60);
      expect(breaker(READ_BREAKER).state).toBe(CircuitState.Disabled);
      expect((await list()).json()[0]).toMatchObject({
        state: 'DISABLED',
        totals: { successes: 0, failures: 60, rejections: 0 },
      });
      const after = await metrics();
      expect(http5xx(after) - http5xx(before)).toBe(60);
      expect(sample(after, 'circuit_breaker_state', { name: READ_BREAKER })).toBe(4);

      // A disabled breaker refuses nothing: readiness stays up.
      const ready = await get('/ready');
      expect(ready.statusCode).toBe(200);
      expect(ready.json().status).toBe('ok');
      expect(ready.json().details.circuitBreakers.breakers[READ_BREAKER].state).toBe('DISABLED');
    });

    it('lets calls through again at once when the breaker was open', async () => {
      await start();
      nock(UPSTREAM).get('/getUserById/1').times(3).reply(200, upstreamUser(1));
      nock(UPSTREAM).post('/addEvent').times(3).reply(503);
      for (let i = 0; i < 3; i += 1) await create();
      expect((await create()).statusCode).toBe(503);

      const response = await act(WRITE_BREAKER, 'disable');
      expect(response.json()).toMatchObject({ state: 'DISABLED', previousState: 'OPEN' });
      nock(UPSTREAM).get('/getUserById/1').reply(200, upstreamUser(1));
      nock(UPSTREAM).post('/addEvent').reply(200, { success: true });
      expect((await create()).statusCode).toBe(201);
    });
  });

  describe('reset', () => {
    it('ends a force-open: CLOSED, and creates reach the upstream again', async () => {
      await start();
      await act(WRITE_BREAKER, 'force-open');
      const response = await act(WRITE_BREAKER, 'reset');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        name: WRITE_BREAKER,
        state: 'CLOSED',
        previousState: 'FORCED_OPEN',
        retryAfter: 0,
      });
      expect(shape(response.json())).toEqual(shape(ADMIN_EXAMPLES.reset));
      nock(UPSTREAM).get('/getUserById/1').reply(200, upstreamUser(1));
      const write = nock(UPSTREAM).post('/addEvent').reply(200, { success: true });
      expect((await create()).statusCode).toBe(201);
      expect(write.isDone()).toBe(true);
      expect(sample(await metrics(), 'circuit_breaker_state', { name: WRITE_BREAKER })).toBe(0);
    });

    it('closes an OPEN breaker with an empty history: it takes the full threshold to open again', async () => {
      await start();
      nock(UPSTREAM).get('/getUserById/1').times(5).reply(200, upstreamUser(1));
      nock(UPSTREAM).post('/addEvent').times(5).reply(503);
      for (let i = 0; i < 3; i += 1) await create();
      expect(breaker(WRITE_BREAKER).state).toBe(CircuitState.Open);

      const response = await act(WRITE_BREAKER, 'reset');
      expect(response.json()).toMatchObject({
        state: 'CLOSED',
        previousState: 'OPEN',
        failuresInWindow: 0,
        callsInWindow: 0,
        totals: { successes: 0, failures: 3, rejections: 0 },
      });
      // Two more failures: under the threshold of three with an empty window.
      expect((await create()).statusCode).toBe(502);
      expect((await create()).statusCode).toBe(502);
      expect(breaker(WRITE_BREAKER).state).toBe(CircuitState.Closed);
    });

    it('ends a disable: the breaker trips again', async () => {
      await start();
      await act(READ_BREAKER, 'disable');
      const reset = await act(READ_BREAKER, 'reset');
      expect(reset.json()).toMatchObject({ state: 'CLOSED', previousState: 'DISABLED' });
      nock(UPSTREAM).get('/getEvents').times(20).reply(503);
      for (let i = 0; i < 10; i += 1) await get('/events');
      expect(breaker(READ_BREAKER).state).toBe(CircuitState.Open);
    });
  });

  describe('names', () => {
    beforeEach(() => start());

    it('answers 404 BREAKER_NOT_FOUND for an unknown breaker, naming the known ones', async () => {
      const response = await act('event-api.search', 'force-open');
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({
        statusCode: 404,
        error: 'Not Found',
        code: 'BREAKER_NOT_FOUND',
        message:
          'No circuit breaker named "event-api.search" (known: event-api.read, event-api.write)',
        requestId: response.headers['x-correlation-id'],
      });
    });

    it.each([
      ['upper case', 'Event-API.write'],
      ['an underscore', 'event_api'],
      ['65 characters', 'a'.repeat(65)],
      ['an encoded slash', 'event-api%2Fwrite'],
      ['a space', 'event%20api'],
    ])('answers 400 VALIDATION_FAILED for a name with %s', async (_, name) => {
      const response = await act(name, 'disable');
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: ['name must be 1 to 64 characters: lowercase letters, digits, "." and "-"'],
      });
    });

    it('answers 414 for a name too long for the router', async () => {
      expect((await act('a'.repeat(101), 'reset')).statusCode).toBe(414);
    });

    it('answers 404 for an unknown action, and 405 for GET on an action', async () => {
      expect((await act(WRITE_BREAKER, 'explode')).statusCode).toBe(404);
      const wrongMethod = await admin('GET', `/${WRITE_BREAKER}/reset`);
      expect(wrongMethod.statusCode).toBe(405);
      expect(wrongMethod.headers.allow).toBe('POST');
    });

    it('leaves every breaker as it was after a refused request', async () => {
      await act('event-api.search', 'force-open');
      await act('Event-API.write', 'force-open');
      expect(
        app
          .get(CircuitBreakerRegistry)
          .snapshots()
          .map((s) => s.state),
      ).toEqual(['CLOSED', 'CLOSED']);
    });
  });

  describe('request bodies', () => {
    beforeEach(() => start());

    it('takes actions with no body and no Content-Type, or an empty or empty-object JSON body', async () => {
      expect((await act(WRITE_BREAKER, 'reset')).statusCode).toBe(200);
      const json = { 'content-type': 'application/json' };
      expect((await act(WRITE_BREAKER, 'reset', { headers: json })).statusCode).toBe(200);
      expect((await act(WRITE_BREAKER, 'reset', { headers: json, payload: '{}' })).statusCode).toBe(
        200,
      );
    });

    it('refuses a JSON body with anything in it with 400, and changes nothing', async () => {
      const response = await act(WRITE_BREAKER, 'force-open', {
        headers: { 'content-type': 'application/json' },
        payload: '{"a":1}',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: 'This action takes no body (or an empty JSON object)',
      });
      expect(breaker(WRITE_BREAKER).state).toBe(CircuitState.Closed);
    });

    it('refuses a body that is not JSON with 415', async () => {
      const response = await act(WRITE_BREAKER, 'force-open', {
        headers: { 'content-type': 'text/plain' },
        payload: 'please',
      });
      expect(response.statusCode).toBe(415);
      expect(breaker(WRITE_BREAKER).state).toBe(CircuitState.Closed);
    });
  });

  describe('rate limiting', () => {
    it('applies to the admin routes, and counts wrong-token guesses', async () => {
      await start({ RATE_LIMIT_MAX: '3' });
      const wrong = `Bearer ${randomBytes(32).toString('hex')}`;
      expect((await list({ authorization: wrong })).statusCode).toBe(401);
      expect((await list({ authorization: wrong })).statusCode).toBe(401);
      expect((await list()).statusCode).toBe(200);
      const limited = await act(WRITE_BREAKER, 'force-open');
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(breaker(WRITE_BREAKER).state).toBe(CircuitState.Closed);
    });
  });

  describe('audit log', () => {
    it('writes one warn line per action: breaker, action, states, correlation id and client address', async () => {
      const logs = new LogCapture();
      await start({}, logs);
      const steps: [string, string, string, string][] = [
        [WRITE_BREAKER, 'force-open', 'CLOSED', 'FORCED_OPEN'],
        [WRITE_BREAKER, 'force-open', 'FORCED_OPEN', 'FORCED_OPEN'],
        [READ_BREAKER, 'disable', 'CLOSED', 'DISABLED'],
        [WRITE_BREAKER, 'reset', 'FORCED_OPEN', 'CLOSED'],
      ];
      for (const [index, [name, action]] of steps.entries()) {
        const response = await act(name, action, {
          headers: { 'x-correlation-id': `audit-${index}` },
        });
        expect(response.statusCode).toBe(200);
      }
      const audit = logs.lines.filter((line) => line.context === 'Admin');
      expect(audit).toEqual(
        steps.map(([name, action, previousState, newState], index) =>
          expect.objectContaining({
            level: 40,
            context: 'Admin',
            audit: true,
            correlationId: `audit-${index}`,
            breaker: name,
            action,
            previousState,
            newState,
            clientAddress: '127.0.0.1',
            msg: `Operator ${action} on circuit "${name}": ${previousState} -> ${newState} (client 127.0.0.1)`,
          }),
        ),
      );
    });

    it('logs the client address the proxy reports when TRUST_PROXY trusts it', async () => {
      const logs = new LogCapture();
      await start({ TRUST_PROXY: '127.0.0.1' }, logs);
      await act(WRITE_BREAKER, 'reset', { headers: { 'x-forwarded-for': '203.0.113.7' } });
      const [line] = logs.lines.filter((entry) => entry.context === 'Admin');
      expect(line).toMatchObject({ action: 'reset', clientAddress: '203.0.113.7' });
    });

    it('writes no audit line for a refused request, and a warn line without the token for a wrong one', async () => {
      const logs = new LogCapture();
      await start({}, logs);
      const wrongToken = randomBytes(32).toString('hex');
      await act(WRITE_BREAKER, 'force-open', {
        authorization: `Bearer ${wrongToken}`,
        headers: { 'x-correlation-id': 'guess-1' },
      });
      await act('event-api.search', 'force-open');
      await act('BAD', 'force-open');
      expect(logs.lines.filter((line) => line.context === 'Admin')).toEqual([]);
      expect(logs.lines.filter((line) => line.correlationId === 'guess-1')).toEqual([
        expect.objectContaining({
          level: 40,
          context: 'Exceptions',
          msg: expect.stringMatching(/answered 401/),
        }),
        expect.objectContaining({ res: { statusCode: 401 } }),
      ]);
      expect(logs.text).not.toContain(wrongToken);
    });

    it('never logs the token nor the Authorization header', async () => {
      const logs = new LogCapture();
      await start({ LOG_LEVEL: 'trace' }, logs);
      nock(UPSTREAM).get('/getUserById/1').reply(200, upstreamUser(1));
      await list();
      await act(WRITE_BREAKER, 'force-open');
      await create();
      await act(WRITE_BREAKER, 'reset');
      await list({ authorization: `Bearer ${TOKEN}x` });
      expect(logs.lines.filter((line) => line.context === 'Admin')).toHaveLength(2);
      expect(logs.text).not.toContain(TOKEN);
      // No line carries request headers, the Authorization header included.
      expect(logs.text).not.toMatch(/"(authorization|headers)"\s*:/i);
    });
  });
});
