import { startGateway, startMock, type ServerProcess } from './support/built-servers';
import { startRedis, type RedisServer } from './support/redis-server';

// The whole promise of `Prefer: respond-async`, on real processes: 30 creates accepted while the
// upstream fails, one replica killed with SIGKILL while it holds deliveries in flight, the
// upstream recovers, and the mock counts every event stored exactly once.

const CREATES = 30;

describe('accepted creates across a replica crash (e2e, real processes)', () => {
  let redis: RedisServer;
  let mock: ServerProcess;
  const replicas: ServerProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    mock = await startMock('crash-mock', { MOCK_ADD_EVENT_MODE: 'fail' });
    for (const name of ['replica-a', 'replica-b']) {
      replicas.push(
        await startGateway(`crash-${name}`, {
          EVENT_API_BASE_URL: mock.base,
          REDIS_URL: redis.url,
          UPSTREAM_TIMEOUT_MS: '400',
          EVENT_DELIVERY_LOCK_MS: '1500',
          CIRCUIT_BREAKER_RESET_TIMEOUT_MS: '300',
          CIRCUIT_BREAKER_MAX_RESET_TIMEOUT_MS: '600',
        }),
      );
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.kill()));
    await mock?.kill();
    await redis?.stop();
  });

  const mockConfig = (addEventMode: string) =>
    fetch(`${mock.base}/__mock/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ addEventMode }),
    });
  const stats = async () =>
    (await (await fetch(`${mock.base}/__mock/stats`)).json()) as {
      stored: Record<string, number>;
    };

  it('delivers all 30 exactly once', async () => {
    const [a, b] = replicas;
    const accepted: { id: string; eventId: string }[] = [];
    for (let i = 0; i < CREATES; i += 1) {
      const response = await fetch(`${(i % 2 === 0 ? a : b).base}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', prefer: 'respond-async' },
        body: JSON.stringify({ name: `Accepted #${i}`, userId: '1' }),
      });
      expect(response.status).toBe(202);
      accepted.push((await response.json()) as { id: string; eventId: string });
    }

    // Sends now reach the upstream, which stores them and never answers: replica A dies with
    // deliveries in flight whose effect upstream it never learned.
    await mockConfig('store-then-hang');
    for (let attempt = 0; Object.keys((await stats()).stored).length < 3; attempt += 1) {
      if (attempt > 400) throw new Error('no delivery reached the upstream');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await a.kill('SIGKILL');
    await mockConfig('ok');

    // Replica B delivers everything, A's jobs included once their locks expire.
    const deadline = Date.now() + 60_000;
    let pending = accepted;
    while (pending.length > 0) {
      if (Date.now() > deadline) throw new Error(`${pending.length} creates never delivered`);
      const views = await Promise.all(
        pending.map(async (request) => {
          const response = await fetch(`${b.base}/event-requests/${request.id}`);
          return { request, view: (await response.json()) as { status: string } };
        }),
      );
      expect(views.filter(({ view }) => view.status === 'failed')).toEqual([]);
      pending = views
        .filter(({ view }) => view.status !== 'delivered')
        .map(({ request }) => request);
      if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }

    const { stored } = await stats();
    expect(Object.keys(stored).sort()).toEqual(accepted.map(({ eventId }) => eventId).sort());
    expect(Object.values(stored).every((times) => times === 1)).toBe(true);
  }, 120_000);
});
