import nock from 'nock';
import { guardUpstream, UPSTREAM, upstreamEvent, upstreamUser } from '../src/testing/nock-upstream';
import { useTestApp } from './support/test-app';

// The resource API under /v1 (Nest's URI versioning) and its unversioned aliases: the same
// handler, so the same answer; only headers that name the request itself differ.

/** What must be equal in two equal answers: not the request's own id, date or budget left. */
const VARYING = new Set(['x-correlation-id', 'date', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
const comparable = (headers: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !VARYING.has(name)));
const withoutRequestId = (body: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(body).filter(([name]) => name !== 'requestId'));

describe('/v1 and unversioned resource paths (e2e)', () => {
  const upstream = guardUpstream();
  const gateway = useTestApp();
  afterEach(() => upstream.assertNoUnmatchedRequests());

  it.each([
    [
      '/users',
      () =>
        nock(UPSTREAM)
          .get('/getUsers')
          .times(2)
          .reply(200, [upstreamUser(1, [3])]),
    ],
    ['/users/1', () => nock(UPSTREAM).get('/getUserById/1').times(2).reply(200, upstreamUser(1))],
    [
      '/users/1/events',
      () => {
        nock(UPSTREAM)
          .get('/getUserById/1')
          .times(2)
          .reply(200, upstreamUser(1, [3]));
        nock(UPSTREAM).get('/getEventById/3').times(2).reply(200, upstreamEvent(3, 1));
      },
    ],
    [
      '/events',
      () =>
        nock(UPSTREAM)
          .get('/getEvents')
          .times(2)
          .reply(200, [upstreamEvent(3, 1)]),
    ],
    [
      '/events/3',
      () => nock(UPSTREAM).get('/getEventById/3').times(2).reply(200, upstreamEvent(3, 1)),
    ],
    ['/users/a.b', () => undefined], // an invalid id: the same 400, nothing upstream
    ['/events/999', () => nock(UPSTREAM).get('/getEventById/999').times(2).reply(404)],
  ])('GET /v1%s answers exactly as GET %s', async (path, stub) => {
    const app = await gateway.start();
    stub();
    const versioned = await app.inject({ method: 'GET', url: `/v1${path}` });
    const unversioned = await app.inject({ method: 'GET', url: path });
    expect(versioned.statusCode).toBe(unversioned.statusCode);
    expect(withoutRequestId(versioned.json())).toEqual(withoutRequestId(unversioned.json()));
    expect(comparable(versioned.headers)).toEqual(comparable(unversioned.headers));
    expect(unversioned.headers.deprecation).toBeUndefined();
  });

  it.each([
    ['/v1/events', '/v1/events/'],
    ['/events', '/events/'],
  ])('POST %s answers 201 with Location under the same version', async (url, location) => {
    const app = await gateway.start();
    nock(UPSTREAM).get('/getUserById/1').reply(200, upstreamUser(1));
    nock(UPSTREAM)
      .post('/addEvent')
      .reply(200, (_uri, body) => body);
    const response = await app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: { name: 'Team offsite', userId: '1' },
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers.location).toBe(`${location}${response.json<{ id: string }>().id}`);
  });

  it('refuses an invalid create on /v1 the same way, reaching nothing upstream', async () => {
    const app = await gateway.start();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/json' },
      payload: { name: '', userId: '1', extra: true },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('serves no other version, and leaves legacy, probe and admin paths unversioned', async () => {
    const app = await gateway.start();
    expect((await app.inject({ method: 'GET', url: '/v2/users' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/getUsers' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/health' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});
