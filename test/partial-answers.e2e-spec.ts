import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import nock from 'nock';
import { FakeClock } from '../src/testing/fake-clock';
import { guardUpstream, UPSTREAM, upstreamEvent, upstreamUser } from '../src/testing/nock-upstream';
import { useTestApp } from './support/test-app';

const CACHE = { READ_CACHE_TTL_MS: '5000', READ_CACHE_STALE_IF_ERROR_MS: '60000' };
const LENIENT = { prefer: 'respond-async, handling=lenient' };

describe('partial answers on Prefer: handling=lenient (e2e)', () => {
  const upstream = guardUpstream();
  const gateway = useTestApp();
  let wallClock: FakeClock;

  beforeEach(() => (wallClock = new FakeClock(Date.now())));
  afterEach(() => upstream.assertNoUnmatchedRequests());

  const start = () => gateway.start(CACHE, { wallClock });
  const get = (app: NestFastifyApplication, url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers });
  /** The user lists 1, 2 and 3; event 2 answers 503 (and 503 again on the retry). */
  const oneEventFailing = () =>
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1, ['1', '2', '3']))
      .get('/getEventById/1')
      .reply(200, upstreamEvent(1, 1))
      .get('/getEventById/2')
      .times(2)
      .reply(503)
      .get('/getEventById/3')
      .reply(200, upstreamEvent(3, 1));

  it('answers 200 with the events it has and names the missing one, and is not cached', async () => {
    const app = await start();
    oneEventFailing();
    const lenient = await get(app, '/v1/users/1/events', LENIENT);
    expect(lenient.statusCode).toBe(200);
    expect(lenient.json().map((event: { id: string }) => event.id)).toEqual(['1', '3']);
    expect(lenient.headers).toMatchObject({
      'preference-applied': 'handling=lenient',
      vary: 'Prefer',
      'events-missing': '"2";code=UPSTREAM_BAD_STATUS',
      'cache-status': 'event-gateway; fwd=miss',
    });

    // A strict request to the same data goes upstream (nothing partial was stored) and fails whole.
    oneEventFailing();
    const strict = await get(app, '/v1/users/1/events');
    expect(strict.statusCode).toBe(502);
    expect(strict.json()).toMatchObject({ code: 'UPSTREAM_BAD_STATUS' });
    expect(strict.headers['preference-applied']).toBeUndefined();
    expect(strict.headers.vary).toBeUndefined();
  });

  it('fills the hole with the stale copy GET /v1/events/:id stored, marked with its age', async () => {
    const app = await start();
    nock(UPSTREAM).get('/getEventById/2').reply(200, upstreamEvent(2, 1));
    expect((await get(app, '/v1/events/2')).statusCode).toBe(200);
    wallClock.advance(5_000 + 12_000);
    oneEventFailing();
    const lenient = await get(app, '/users/1/events', { prefer: 'handling="lenient"' });
    expect(lenient.statusCode).toBe(200);
    expect(lenient.json().map((event: { id: string }) => event.id)).toEqual(['1', '2', '3']);
    expect(lenient.headers['events-stale']).toBe('"2";code=UPSTREAM_BAD_STATUS;age=17');
    expect(lenient.headers['events-missing']).toBeUndefined();
  });

  it('keeps the contract without the preference, and on the legacy path', async () => {
    const app = await start();
    for (const [url, headers] of [
      ['/v1/users/1/events', { prefer: 'handling=strict' }],
      ['/v1/users/1/events', { prefer: 'handling=bogus;;=' }],
      ['/getEventsByUserId/1', LENIENT],
    ] as const) {
      oneEventFailing();
      const answer = await get(app, url, headers);
      expect([url, answer.statusCode, answer.headers['preference-applied']]).toEqual([
        url,
        502,
        undefined,
      ]);
    }
  });

  it('stores a complete lenient answer, which a strict request is then served', async () => {
    const app = await start();
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1, ['1']))
      .get('/getEventById/1')
      .reply(200, upstreamEvent(1, 1));
    const lenient = await get(app, '/v1/users/1/events', LENIENT);
    expect(lenient.headers['cache-status']).toBe('event-gateway; fwd=miss; stored');
    const strict = await get(app, '/v1/users/1/events');
    expect(strict.headers['cache-status']).toMatch(/^event-gateway; hit; /);
    expect(strict.json()).toEqual(lenient.json());
  });

  it('answers the error when no event can be shown', async () => {
    const app = await start();
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1, ['2']))
      .get('/getEventById/2')
      .times(2)
      .reply(503);
    const answer = await get(app, '/v1/users/1/events', LENIENT);
    expect(answer.statusCode).toBe(502);
  });

  it('documents the Prefer parameter and the headers of a partial answer, as the answer sends them', async () => {
    const app = await start();
    const document = (await get(app, '/docs-json')).json();
    const operation = document.paths['/v1/users/{id}/events'].get;
    expect(operation.parameters).toContainEqual(
      expect.objectContaining({
        name: 'Prefer',
        in: 'header',
        schema: { type: 'string', enum: ['handling=lenient', 'handling=strict'] },
      }),
    );
    const documented = Object.keys(operation.responses['200'].headers).map((name) =>
      name.toLowerCase(),
    );
    oneEventFailing();
    const answer = await get(app, '/v1/users/1/events', LENIENT);
    for (const name of ['preference-applied', 'vary', 'events-missing', 'cache-status']) {
      expect([name, answer.headers[name] !== undefined, documented.includes(name)]).toEqual([
        name,
        true,
        true,
      ]);
    }
    expect(documented).toContain('events-stale');
  });
});
