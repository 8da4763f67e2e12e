import nock from 'nock';
import { guardUpstream, UPSTREAM, upstreamUser } from '../src/testing/nock-upstream';
import { useTestApp } from './support/test-app';

describe('legacy paths (e2e)', () => {
  const upstream = guardUpstream();
  const gateway = useTestApp();
  afterEach(() => upstream.assertNoUnmatchedRequests());

  it.each([
    ['GET', '/getUsers', '/getUsers', '/users'],
    ['GET', '/getEvents', '/getEvents', '/events'],
    ['GET', '/getEventsByUserId/7', '/getUserById/7', '/users/7/events'],
    ['POST', '/addEvent', undefined, '/events'],
  ])(
    '%s %s announces its deprecation and its successor, even on an error',
    async (method, url, upstreamPath, successor) => {
      const app = await gateway.start();
      // Every answer here is an error (the upstream fails twice; the create body is invalid).
      if (upstreamPath) nock(UPSTREAM).get(upstreamPath).times(2).reply(503);
      const response = await app.inject({
        method: method as 'GET' | 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        payload: method === 'POST' ? '{}' : undefined,
      });
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.headers.deprecation).toBe('@1795305600');
      expect(response.headers.link).toBe(`<${successor}>; rel="successor-version"`);
      expect(response.headers.sunset).toBeUndefined();
    },
  );

  it('announces the sunset date when one is configured', async () => {
    const app = await gateway.start({ LEGACY_SUNSET_AT: '2027-06-30' });
    nock(UPSTREAM)
      .get('/getUsers')
      .reply(200, [upstreamUser(1)]);
    const response = await app.inject({ method: 'GET', url: '/getUsers' });
    expect(response.statusCode).toBe(200);
    expect(response.headers.sunset).toBe('Wed, 30 Jun 2027 00:00:00 GMT');
  });

  it('says nothing of the kind on the resource paths', async () => {
    const app = await gateway.start();
    nock(UPSTREAM).get('/getUsers').reply(200, []);
    const response = await app.inject({ method: 'GET', url: '/users' });
    expect(response.headers.deprecation).toBeUndefined();
    expect(response.headers.link).toBeUndefined();
  });
});
