import nock from 'nock';
import { EventGateway } from '../src/upstream/event-gateway';
import { guardUpstream, UPSTREAM, upstreamEvent, upstreamUser } from '../src/testing/nock-upstream';
import { flushIo, useTestApp } from './support/test-app';

const ids = Array.from({ length: 50 }, (_, i) => String(100 + i));

/**
 * Stubs getEventById for `ids` and holds every answer until the test releases them, so the test
 * sees how many calls the gateway has in flight at once — concurrency observed, not timed.
 */
function holdEventAnswers() {
  const held: (() => void)[] = [];
  let inFlight = 0;
  let peak = 0;
  const scope = nock(UPSTREAM)
    .get(/^\/getEventById\/\d+$/)
    .times(ids.length)
    .reply((uri, _body, callback) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      held.push(() => {
        inFlight -= 1;
        callback(null, [200, upstreamEvent(Number(uri.split('/').pop()), 2)]);
      });
    });
  /** Waits until no new call arrives, then answers the held ones; repeats until `done`. */
  async function releaseUntil(done: () => boolean) {
    while (!done()) {
      let seen = -1;
      while (seen !== held.length) {
        seen = held.length;
        for (let i = 0; i < 5; i += 1) await flushIo();
      }
      held.splice(0).forEach((answer) => answer());
      await flushIo();
    }
  }
  return { scope, releaseUntil, peak: () => peak };
}

describe('fan-out of a user’s events (e2e)', () => {
  const upstream = guardUpstream();
  const gateway = useTestApp();

  afterEach(() => upstream.assertNoUnmatchedRequests());

  it('makes 50 upstream calls in parallel for 50 event ids, each once', async () => {
    const app = await gateway.start();
    nock(UPSTREAM)
      .get('/getUserById/2')
      .reply(200, upstreamUser(2, [...ids, ids[0], ids[1]]));
    const events = holdEventAnswers();
    let finished = false;
    const response = app
      .inject({ method: 'GET', url: '/users/2/events' })
      .finally(() => (finished = true));
    await events.releaseUntil(() => finished);

    expect(events.peak()).toBe(50);
    expect(events.scope.isDone()).toBe(true);
    const body = (await response).json();
    expect(body.map((event: { id: string }) => event.id)).toEqual(ids);
  });

  it.each([
    ['true', 1, 50],
    ['false', 5, 250],
  ])(
    'with UPSTREAM_COALESCE_READS=%s, 5 concurrent clients cost %i user and %i event calls',
    async (coalesce, userCalls, eventCalls) => {
      // 250 calls held upstream at once: more than the default concurrency limit lets through (it is
      // tested in concurrency-limit.e2e-spec.ts), so it is off here.
      const app = await gateway.start({
        UPSTREAM_COALESCE_READS: coalesce,
        UPSTREAM_ADAPTIVE_CONCURRENCY: 'false',
      });
      // Upstream answers are held until all five requests have asked the gateway for the same
      // thing, so the requests overlap for certain, as concurrent clients' do.
      const client = app.get(EventGateway);
      const usersRequested = jest.spyOn(client, 'getUserById');
      const eventsRequested = jest.spyOn(client, 'getEventById');
      const held: (() => void)[] = [];
      let usersAsked = 0;
      let eventsAsked = 0;
      nock(UPSTREAM)
        .persist()
        .get('/getUserById/2')
        .reply((_uri, _body, callback) => {
          usersAsked += 1;
          held.push(() => callback(null, [200, upstreamUser(2, ids)]));
        })
        .get(/^\/getEventById\/\d+$/)
        .reply((uri, _body, callback) => {
          eventsAsked += 1;
          held.push(() => callback(null, [200, upstreamEvent(Number(uri.split('/').pop()), 2)]));
        });
      const release = async (until: () => boolean) => {
        while (!until()) await flushIo();
        held.splice(0).forEach((answer) => answer());
      };

      const responses = Promise.all(
        Array.from({ length: 5 }, () => app.inject({ method: 'GET', url: '/users/2/events' })),
      );
      await release(() => usersRequested.mock.calls.length === 5 && held.length === userCalls);
      await release(() => eventsRequested.mock.calls.length === 250 && held.length === eventCalls);

      expect((await responses).map((response) => response.json().length)).toEqual([
        50, 50, 50, 50, 50,
      ]);
      expect([usersAsked, eventsAsked]).toEqual([userCalls, eventCalls]);
    },
  );

  it('never has more than UPSTREAM_MAX_CONCURRENCY calls in flight', async () => {
    const app = await gateway.start({ UPSTREAM_MAX_CONCURRENCY: '8' });
    nock(UPSTREAM).get('/getUserById/2').reply(200, upstreamUser(2, ids));
    const events = holdEventAnswers();
    let finished = false;
    const response = app
      .inject({ method: 'GET', url: '/getEventsByUserId/2' })
      .finally(() => (finished = true));
    await events.releaseUntil(() => finished);

    expect(events.peak()).toBe(8);
    expect((await response).json()).toHaveLength(50);
  });
});
