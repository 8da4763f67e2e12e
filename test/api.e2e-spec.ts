import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import nock from 'nock';
import {
  guardUpstream,
  networkError,
  neverAnswer,
  UPSTREAM,
  upstreamEvent,
  upstreamUser,
} from '../src/testing/nock-upstream';
import { createTestApp } from './support/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Every error answer has this shape; `requestId` equals the echoed correlation header. */
function expectErrorShape(
  response: { json(): Record<string, unknown>; headers: Record<string, unknown> },
  status: number,
): Record<string, unknown> {
  const body = response.json();
  expect(body).toMatchObject({
    statusCode: status,
    error: expect.any(String),
    requestId: expect.any(String),
  });
  expect(body.message).toBeDefined();
  expect(body.requestId).toBe(response.headers['x-correlation-id']);
  expect(JSON.stringify(body)).not.toMatch(/event-api\.test|node_modules|at .*\.ts:\d+/);
  return body;
}

describe('Event Management API (e2e, nock upstream)', () => {
  const upstream = guardUpstream();
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ UPSTREAM_TIMEOUT_MS: '300' });
  });
  afterEach(() => upstream.assertNoUnmatchedRequests());
  afterAll(() => app.close());

  describe('users', () => {
    it.each(['/users', '/getUsers'])('GET %s lists normalised users', async (path) => {
      nock(UPSTREAM)
        .get('/getUsers')
        .reply(200, [upstreamUser(1, ['1', 2]), upstreamUser(2)]);
      const response = await app.inject({ method: 'GET', url: path });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual([
        { id: '1', name: 'User 1', email: 'user1@example.com', events: ['1', '2'] },
        { id: '2', name: 'User 2', email: 'user2@example.com', events: [] },
      ]);
    });

    it('GET /users/:id returns one user', async () => {
      nock(UPSTREAM)
        .get('/getUserById/1')
        .reply(200, upstreamUser(1, [3]));
      const response = await app.inject({ method: 'GET', url: '/users/1' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        id: '1',
        name: 'User 1',
        email: 'user1@example.com',
        events: ['3'],
      });
    });

    it('GET /users/:id answers 404 when the upstream sends an empty body', async () => {
      nock(UPSTREAM).get('/getUserById/77').reply(200, '');
      const response = await app.inject({ method: 'GET', url: '/users/77' });
      expect(response.statusCode).toBe(404);
      expect(expectErrorShape(response, 404).message).toBe('User "77" not found');
    });

    it.each([
      '/users/a.b',
      '/users/%2E%2E%2Fadmin',
      `/users/${'x'.repeat(65)}`,
      '/users/%F0%9F%98%80',
    ])('GET %s answers 400 without calling the upstream', async (url) => {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(400);
      expectErrorShape(response, 400);
    });
  });

  describe("a user's events", () => {
    it.each(['/users/1/events', '/getEventsByUserId/1'])(
      'GET %s returns them in the user’s order',
      async (url) => {
        nock(UPSTREAM)
          .get('/getUserById/1')
          .reply(200, upstreamUser(1, ['2', 1, '2']))
          .get('/getEventById/2')
          .reply(200, upstreamEvent(2, 1))
          .get('/getEventById/1')
          .reply(200, upstreamEvent(1, 1));
        const response = await app.inject({ method: 'GET', url });
        expect(response.statusCode).toBe(200);
        expect(response.json().map((event: { id: string }) => event.id)).toEqual(['2', '1']);
      },
    );

    it('answers 404 for an unknown user', async () => {
      nock(UPSTREAM).get('/getUserById/5').reply(200, '');
      const response = await app.inject({ method: 'GET', url: '/getEventsByUserId/5' });
      expect(response.statusCode).toBe(404);
    });

    it('answers 502 when one of the events fails, rather than a partial list', async () => {
      nock(UPSTREAM)
        .get('/getUserById/1')
        .reply(200, upstreamUser(1, ['1', '2']))
        .get('/getEventById/1')
        .reply(200, upstreamEvent(1, 1))
        .get('/getEventById/2')
        .times(2)
        .reply(500);
      const response = await app.inject({ method: 'GET', url: '/users/1/events' });
      expect(response.statusCode).toBe(502);
      expect(expectErrorShape(response, 502).upstreamStatus).toBe(500);
    });
  });

  describe('events', () => {
    it.each(['/events', '/getEvents'])('GET %s lists events with string ids', async (url) => {
      nock(UPSTREAM)
        .get('/getEvents')
        .reply(200, [upstreamEvent(1, 3)]);
      const response = await app.inject({ method: 'GET', url });
      expect(response.json()).toEqual([
        { id: '1', name: 'Event 1', userId: '3', details: 'Details of 1' },
      ]);
    });

    it('GET /events/:id names the event by the requested id', async () => {
      nock(UPSTREAM).get('/getEventById/7').reply(200, upstreamEvent(70, 4));
      const response = await app.inject({ method: 'GET', url: '/events/7' });
      expect(response.json()).toMatchObject({ id: '7', userId: '4' });
    });

    it('GET /events/:id answers 404 for an unknown event', async () => {
      nock(UPSTREAM).get('/getEventById/8').reply(200, '');
      expect((await app.inject({ method: 'GET', url: '/events/8' })).statusCode).toBe(404);
    });
  });

  describe('creating events', () => {
    const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
      app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', ...headers },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });

    it('POST /events checks the owner, sends a UUID upstream and answers 201 with Location', async () => {
      let sent: unknown;
      nock(UPSTREAM)
        .get('/getUserById/1')
        .reply(200, upstreamUser(1))
        .post('/addEvent', (body) => ((sent = body), true))
        .reply(200, { success: true });
      const response = await post('/events', {
        name: '  Offsite  ',
        userId: '1',
        details: 'Lisbon',
      });
      expect(response.statusCode).toBe(201);
      const created = response.json();
      expect(created).toEqual({
        id: expect.stringMatching(UUID),
        name: 'Offsite',
        userId: '1',
        details: 'Lisbon',
      });
      expect(response.headers.location).toBe(`/events/${created.id}`);
      expect(sent).toEqual(created);
    });

    it('POST /addEvent keeps the original 200', async () => {
      nock(UPSTREAM)
        .get('/getUserById/1')
        .reply(200, upstreamUser(1))
        .post('/addEvent')
        .reply(200, { success: true });
      const response = await post('/addEvent', { name: 'Offsite', userId: '1' });
      expect(response.statusCode).toBe(200);
      expect(response.headers.location).toBeUndefined();
    });

    it('answers 422 for an unknown owner and writes nothing', async () => {
      nock(UPSTREAM).get('/getUserById/404').reply(200, '');
      const write = nock(UPSTREAM).post('/addEvent').reply(200, { success: true });
      const response = await post('/events', { name: 'x', userId: '404' });
      expect(response.statusCode).toBe(422);
      expect(expectErrorShape(response, 422).message).toBe('User "404" does not exist');
      expect(write.isDone()).toBe(false);
    });

    it.each([
      ['no name', { userId: '1' }],
      ['a blank name', { name: '   ', userId: '1' }],
      ['a name that is a number', { name: 1, userId: '1' }],
      ['a userId with a slash', { name: 'x', userId: '1/../2' }],
      ['details of 2001 characters', { name: 'x', userId: '1', details: 'd'.repeat(2001) }],
      ['an unknown property', { name: 'x', userId: '1', id: 'mine' }],
      ['an array', [{ name: 'x', userId: '1' }]],
      ['null', null],
      ['a string', '"hello"'],
    ])('answers 400 for a body with %s, and calls no upstream', async (_, body) => {
      const response = await post('/events', body);
      expect(response.statusCode).toBe(400);
      expectErrorShape(response, 400);
    });

    it('answers 400 for malformed JSON in the common shape', async () => {
      const response = await post('/events', '{"name": ');
      expect(response.statusCode).toBe(400);
      expectErrorShape(response, 400);
      expect(response.json()).toMatchObject({
        code: 'MALFORMED_JSON',
        message: 'The body is not valid JSON',
      });
    });

    it.each(['[]', 'null', '"hi"', '42'])(
      'answers 400 "The body must be a JSON object" for a JSON body %s, with no upstream call',
      async (payload) => {
        const response = await app.inject({
          method: 'POST',
          url: '/events',
          headers: { 'content-type': 'application/json' },
          payload,
        });
        expect(response.statusCode).toBe(400);
        expectErrorShape(response, 400);
        expect(response.json()).toMatchObject({
          code: 'VALIDATION_FAILED',
          message: 'The body must be a JSON object',
        });
      },
    );

    it('answers 405 with Allow for a method the path does not take', async () => {
      const response = await app.inject({ method: 'DELETE', url: '/events/1' });
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('GET, HEAD');
      expect(response.json()).toMatchObject({
        statusCode: 405,
        code: 'METHOD_NOT_ALLOWED',
        message: 'DELETE is not allowed on this path; allowed: GET, HEAD',
      });
      const collection = await app.inject({ method: 'PUT', url: '/events' });
      expect(collection.headers.allow).toBe('GET, HEAD, POST');
    });

    it('answers 404 for a path with a trailing slash, whatever the method (paths are exact)', async () => {
      for (const method of ['GET', 'POST'] as const) {
        const response = await app.inject({
          method,
          url: '/events/',
          headers: { 'content-type': 'application/json' },
          payload: method === 'POST' ? '{"name":"x","userId":"1"}' : undefined,
        });
        expect(response.statusCode).toBe(404);
        expect(response.json().code).toBe('ROUTE_NOT_FOUND');
      }
    });

    it('answers GET / with links to the docs and the probes', async () => {
      const response = await app.inject({ method: 'GET', url: '/' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        name: 'event-gateway',
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        docs: '/docs',
        openapi: '/docs-json',
        health: '/health',
        ready: '/ready',
      });
      for (const link of ['/docs', '/docs-json', '/health', '/ready']) {
        expect((await app.inject({ method: 'GET', url: link })).statusCode).toBe(200);
      }
    });

    it('still answers 404 for a path that does not exist', async () => {
      const response = await app.inject({ method: 'DELETE', url: '/nope' });
      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('ROUTE_NOT_FOUND');
    });

    it('answers 404 for a POST to a path that does not exist, whatever its content type', async () => {
      for (const headers of [{}, { 'content-type': 'text/plain' }]) {
        const response = await app.inject({ method: 'POST', url: '/nope', headers });
        expect(response.statusCode).toBe(404);
        expect(response.json().code).toBe('ROUTE_NOT_FOUND');
      }
    });

    it('answers 415 for a POST with no body and no content type', async () => {
      const response = await app.inject({ method: 'POST', url: '/events' });
      expect(response.statusCode).toBe(415);
      expect(response.json()).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Content-Type must be application/json',
      });
    });

    it('answers 400 for an empty JSON body, saying it is empty', async () => {
      const response = await post('/events', '');
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'MALFORMED_JSON',
        message: 'The body is empty: send a JSON object',
      });
    });

    it('says a missing field is required, once', async () => {
      const response = await post('/events', { userId: '1' });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: ['name is required'],
      });
    });

    it('says details must be a string when it is an object', async () => {
      const response = await post('/events', { name: 'x', userId: '1', details: { a: 1 } });
      expect(response.json().message).toEqual(['details must be a string']);
    });

    it('refuses a __proto__ key in valid JSON for what it is, not as invalid JSON', async () => {
      const response = await post('/events', '{"name":"x","userId":"1","__proto__":{"a":1}}');
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'FORBIDDEN_KEY',
        message: 'The body contains "__proto__" or "constructor.prototype", which are not allowed',
      });
    });

    it('answers 415 for a body that is not JSON', async () => {
      const response = await post('/events', 'name=x', { 'content-type': 'text/plain' });
      expect(response.statusCode).toBe(415);
      expectErrorShape(response, 415);
    });

    it('answers 413 for a body over the limit', async () => {
      const response = await post('/events', {
        name: 'x',
        userId: '1',
        details: 'd'.repeat(20_000),
      });
      expect(response.statusCode).toBe(413);
      expectErrorShape(response, 413);
      expect(response.json()).toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        message: 'The body is larger than the limit of 16384 bytes',
      });
    });

    it('answers 502 with upstreamStatus when the upstream refuses the write, without retrying', async () => {
      nock(UPSTREAM)
        .get('/getUserById/1')
        .reply(200, upstreamUser(1))
        .post('/addEvent')
        .reply(503, { success: false });
      const retry = nock(UPSTREAM).post('/addEvent').reply(200, { success: true });
      const response = await post('/events', { name: 'x', userId: '1' });
      expect(response.statusCode).toBe(502);
      expect(expectErrorShape(response, 502)).toMatchObject({
        upstreamStatus: 503,
        error: 'Bad Gateway',
      });
      expect(retry.isDone()).toBe(false);
    });
  });

  describe('upstream failures', () => {
    it('answers 502 after a read fails twice (one retry)', async () => {
      const scope = nock(UPSTREAM)
        .get('/getEvents')
        .times(2)
        .reply(500, 'Internal error at db.js:12');
      const response = await app.inject({ method: 'GET', url: '/events' });
      expect(response.statusCode).toBe(502);
      expect(expectErrorShape(response, 502).upstreamStatus).toBe(500);
      expect(JSON.stringify(response.json())).not.toContain('db.js');
      expect(scope.isDone()).toBe(true);
    });

    it('recovers when the retry succeeds', async () => {
      nock(UPSTREAM)
        .get('/getEvents')
        .replyWithError(networkError())
        .get('/getEvents')
        .reply(200, []);
      const response = await app.inject({ method: 'GET', url: '/events' });
      expect(response.statusCode).toBe(200);
    });

    it('answers 502 when the connection keeps failing', async () => {
      nock(UPSTREAM).get('/getUsers').times(2).replyWithError(networkError());
      const response = await app.inject({ method: 'GET', url: '/users' });
      expect(response.statusCode).toBe(502);
      expect(expectErrorShape(response, 502).message).toBe('The Event API could not be reached');
    });

    it('answers 502 for a body of the wrong shape', async () => {
      nock(UPSTREAM).get('/getUsers').reply(200, { users: 'nope' });
      const response = await app.inject({ method: 'GET', url: '/users' });
      expect(response.statusCode).toBe(502);
      expect(expectErrorShape(response, 502).message).toBe(
        'The Event API answered with a malformed body',
      );
    });

    it('answers 502 for a redirect instead of following it', async () => {
      nock(UPSTREAM)
        .get('/getUsers')
        .reply(302, '', { location: 'http://elsewhere.test/getUsers' });
      const response = await app.inject({ method: 'GET', url: '/users' });
      expect(response.statusCode).toBe(502);
    });

    it('answers 504 when the upstream does not answer within UPSTREAM_TIMEOUT_MS', async () => {
      nock(UPSTREAM).get('/getUserById/1').reply(neverAnswer);
      const response = await app.inject({ method: 'GET', url: '/users/1' });
      expect(response.statusCode).toBe(504);
      expect(expectErrorShape(response, 504).message).toBe(
        'The Event API did not answer within 300 ms',
      );
    });
  });

  describe('cross-cutting', () => {
    it('answers an unknown route with 404 in the common shape', async () => {
      const response = await app.inject({ method: 'GET', url: '/nope' });
      expect(response.statusCode).toBe(404);
      expectErrorShape(response, 404);
    });

    it('echoes a sane x-correlation-id and uses it as requestId', async () => {
      const response = await app.inject({
        method: 'GET',
        url: '/nope',
        headers: { 'x-correlation-id': 'abc-123' },
      });
      expect(response.headers['x-correlation-id']).toBe('abc-123');
      expect(response.json().requestId).toBe('abc-123');
    });

    it('replaces a hostile x-correlation-id with a generated one', async () => {
      const response = await app.inject({
        method: 'GET',
        url: '/nope',
        headers: { 'x-correlation-id': '<script>alert(1)</script>' },
      });
      expect(response.headers['x-correlation-id']).toMatch(UUID);
    });
  });
});
