import nock from 'nock';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { guardUpstream, UPSTREAM, upstreamEvent, upstreamUser } from '../src/testing/nock-upstream';
import { sample } from './support/metrics';
import { useTestApp } from './support/test-app';

const ids = Array.from({ length: 50 }, (_, i) => String(100 + i));

/**
 * Stubs user 2 with 50 events, every fetch answered at once, except the first fetch of
 * `straggler` (if any): never answered, a straggler slower than any deadline a test could wait
 * for. Counts the upstream fetches of each event.
 */
function userWithEvents(straggler?: string) {
  const fetches = new Map<string, number>();
  const count = (uri: string) => {
    const id = uri.split('/').pop()!;
    fetches.set(id, (fetches.get(id) ?? 0) + 1);
    return id;
  };
  nock(UPSTREAM).get('/getUserById/2').reply(200, upstreamUser(2, ids));
  if (straggler) {
    nock(UPSTREAM)
      .get(`/getEventById/${straggler}`)
      .reply((uri, _body, _callback) => {
        // Never called back, so never answered: the gateway aborts it if a hedge answers.
        count(uri);
      });
  }
  nock(UPSTREAM)
    .get(/^\/getEventById\/\d+$/)
    .reply((uri) => [200, upstreamEvent(count(uri), 2)])
    .persist();
  return {
    total: () => [...fetches.values()].reduce((sum, n) => sum + n, 0),
    of: (id: string) => fetches.get(id) ?? 0,
  };
}

async function metric(app: NestFastifyApplication, name: string, labels: Record<string, string>) {
  return sample((await app.inject({ method: 'GET', url: '/metrics' })).body, name, labels) ?? 0;
}

describe('hedged reads (e2e)', () => {
  const upstream = guardUpstream();
  const gateway = useTestApp();

  afterEach(() => upstream.assertNoUnmatchedRequests());

  it('answers a fan-out whose one event straggles, from a hedge of that event', async () => {
    // A ceiling far above this machine's answer times, so the first fan-out (no percentile known
    // yet) is never hedged; the second is hedged from the percentile the first taught it.
    const app = await gateway.start({
      UPSTREAM_HEDGE_READS: 'true',
      UPSTREAM_HEDGE_MAX_DELAY_MS: '5000',
      UPSTREAM_TIMEOUT_MS: '30000',
    });
    const warmUp = userWithEvents();
    expect((await app.inject({ method: 'GET', url: '/users/2/events' })).statusCode).toBe(200);
    expect(warmUp.total()).toBe(50);
    nock.cleanAll();

    const getEvent = { operation: 'getEventById' };
    const sentBefore = await metric(app, 'upstream_hedges_total', { ...getEvent, result: 'sent' });
    const wonBefore = await metric(app, 'upstream_hedges_total', { ...getEvent, result: 'won' });
    const cancelledBefore = await metric(app, 'upstream_requests_total', {
      ...getEvent,
      outcome: 'cancelled',
    });
    const straggler = ids[17];
    const fetches = userWithEvents(straggler);
    const started = performance.now();
    const response = await app.inject({ method: 'GET', url: '/users/2/events' });
    const elapsedMs = performance.now() - started;

    expect(response.statusCode).toBe(200);
    expect(response.json().map((event: { id: string }) => event.id)).toEqual(ids);
    // The straggler never answers and the deadline is 30 s: only its hedge can have answered.
    expect(fetches.of(straggler)).toBe(2);
    expect(elapsedMs).toBeLessThan(10_000);
    // Every extra upstream call is a hedge, counted as sent; each hedged pair ends with one
    // attempt cancelled (nothing failed here); the straggler's hedge is one that won.
    const sent =
      (await metric(app, 'upstream_hedges_total', { ...getEvent, result: 'sent' })) - sentBefore;
    const won =
      (await metric(app, 'upstream_hedges_total', { ...getEvent, result: 'won' })) - wonBefore;
    const cancelled =
      (await metric(app, 'upstream_requests_total', { ...getEvent, outcome: 'cancelled' })) -
      cancelledBefore;
    expect(fetches.total() - 50).toBe(sent);
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(won).toBeGreaterThanOrEqual(1);
    expect(cancelled).toBe(sent);
    nock.cleanAll();
  });

  it('sends no hedge while the retry budget allows none, and counts the refusals', async () => {
    const app = await gateway.start({
      UPSTREAM_HEDGE_READS: 'true',
      UPSTREAM_HEDGE_MAX_DELAY_MS: '50',
      UPSTREAM_TIMEOUT_MS: '1000',
      UPSTREAM_RETRY_BUDGET_RATIO: '0',
      UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND: '0',
    });
    const refusals = { operation: 'getEventById', kind: 'hedge' };
    // The metrics registry is the process's: earlier tests' counts are still in it.
    const before = await metric(app, 'upstream_retry_budget_refusals_total', refusals);
    const sentBefore = await metric(app, 'upstream_hedges_total', { result: 'sent' });
    const fetches = userWithEvents(ids[5]);
    const response = await app.inject({ method: 'GET', url: '/users/2/events' });
    // No hedge: the straggler runs into its deadline, and the fan-out fails with it.
    expect(response.statusCode).toBe(504);
    expect(fetches.of(ids[5])).toBe(1);
    expect(fetches.total()).toBeLessThanOrEqual(50);
    // At least the straggler asked for a hedge after 50 ms, and was refused.
    expect(await metric(app, 'upstream_retry_budget_refusals_total', refusals)).toBeGreaterThan(
      before,
    );
    expect(await metric(app, 'upstream_hedges_total', { result: 'sent' })).toBe(sentBefore);
    nock.cleanAll();
  });
});
