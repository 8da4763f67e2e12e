import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { Socket } from 'node:net';
import { createMockApi, type MockApiOptions } from '../mock-api/src/mock-api';
import { createTestApp } from './support/test-app';

/** The gateway in front of the real mock upstream, listening on a free loopback port. */
async function startStack(
  mockOptions: Partial<MockApiOptions>,
  env: Record<string, string> = {},
  envOfAddress: (address: string) => Record<string, string> = () => ({}),
) {
  const mock = createMockApi({ failureDelayMs: 0, ...mockOptions });
  const address = await mock.listen({ port: 0, host: '127.0.0.1' });
  const app = await createTestApp({
    EVENT_API_BASE_URL: address,
    ...env,
    ...envOfAddress(address),
  });
  return { mock, app };
}

describe('gateway against the real mock upstream (e2e)', () => {
  let mock: FastifyInstance | undefined;
  let app: NestFastifyApplication | undefined;

  afterEach(async () => {
    await app?.close();
    await mock?.close();
    app = mock = undefined;
  });

  it('serves normalised users and a user’s 50 events', async () => {
    ({ mock, app } = await startStack({ networkErrorRate: 0, eventLatencyMs: 20 }));
    const users = (await app.inject({ method: 'GET', url: '/users' })).json();
    expect(users[0]).toEqual({
      id: '1',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      events: ['1', '2'],
    });

    const events = await app.inject({ method: 'GET', url: '/users/2/events' });
    expect(events.statusCode).toBe(200);
    expect(events.json()).toHaveLength(50);
    expect(events.json()[0]).toEqual({
      id: '100',
      name: 'COBOL workshop #1',
      userId: '2',
      details: 'Session 1 of 50',
    });
  });

  it('skips an event the upstream lost and names events by the requested id', async () => {
    ({ mock, app } = await startStack({ networkErrorRate: 0, eventLatencyMs: 0 }));
    const events = (await app.inject({ method: 'GET', url: '/users/4/events' })).json();
    expect(events).toEqual([{ id: '7', name: 'Shortest path walk', userId: '4' }]);
  });

  it('answers 404 for a user the upstream answers with an empty body', async () => {
    ({ mock, app } = await startStack({ networkErrorRate: 0 }));
    expect((await app.inject({ method: 'GET', url: '/users/999' })).statusCode).toBe(404);
  });

  it('turns the addEvent cycle into 201 x5, 502 x3, then 503 from the breaker', async () => {
    ({ mock, app } = await startStack({ networkErrorRate: 0 }));
    const statuses: number[] = [];
    for (let i = 0; i < 9; i += 1) {
      const response = await app.inject({
        method: 'POST',
        url: '/events',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ name: `Event ${i}`, userId: '1' }),
      });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 502, 502, 502, 503]);
    const events = (await app.inject({ method: 'GET', url: '/users/1' })).json().events;
    expect(events).toHaveLength(2 + 5);
  });

  /** The mock's counters (GET /__mock/stats). */
  const mockStats = async (api: FastifyInstance) =>
    (await api.inject({ method: 'GET', url: '/__mock/stats' })).json<{
      calls: Record<string, number>;
      load: Record<string, number>;
    }>();

  it('meets one straggler in fifty event fetches on a 50-event fan-out, as the mock counts them', async () => {
    ({ mock, app } = await startStack({
      networkErrorRate: 0,
      eventLatencyMs: 0,
      eventStragglerEvery: 50,
      eventStragglerLatencyMs: 200,
    }));
    const response = await app.inject({ method: 'GET', url: '/v1/users/2/events' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toHaveLength(50);
    const { calls, load } = await mockStats(mock);
    const eventCalls = calls['/getEventById/:id'];
    // At least one fetch per event; whatever more the gateway made, one in fifty was slow.
    expect(eventCalls).toBeGreaterThanOrEqual(50);
    expect(load.stragglers).toBe(Math.floor(eventCalls / 50));
    expect(load.inFlight).toBe(0);
  });

  it('counts the gateway’s concurrent reads past the capacity, and each is refused at rate 1', async () => {
    ({ mock, app } = await startStack({
      networkErrorRate: 0,
      eventLatencyMs: 50,
      capacity: 1,
      overloadLatencyMsPerCall: 0,
      overloadErrorRate: 1,
    }));
    const response = await app.inject({ method: 'GET', url: '/v1/users/2/events' });
    // Fetches past the capacity were answered 503: the fan-out cannot be complete.
    expect(response.statusCode).toBeGreaterThanOrEqual(500);
    const { load } = await mockStats(mock);
    expect(load.peakInFlight).toBeGreaterThan(1);
    expect(load.overCapacity).toBeGreaterThan(0);
    expect(load.overloadErrors).toBe(load.overCapacity);
  });

  it('closes its connections to the upstream when it closes, the busy ones too', async () => {
    // A fan-out fails at once (every fetch past the first is refused) while its first fetch is
    // held for a minute: the answer is out, that call is not.
    ({ mock, app } = await startStack({
      networkErrorRate: 0,
      eventLatencyMs: 60_000,
      capacity: 1,
      overloadLatencyMsPerCall: 0,
      overloadErrorRate: 1,
    }));
    const sockets: Socket[] = [];
    mock.server.on('connection', (socket: Socket) => sockets.push(socket));
    const response = await app.inject({ method: 'GET', url: '/v1/users/2/events' });
    expect(response.statusCode).toBeGreaterThanOrEqual(500);
    const open = sockets.filter((socket) => !socket.destroyed);
    expect(open.length).toBeGreaterThan(0);
    await app.close();
    app = undefined;
    // Without the gateway closing them, the held call's connection would stay open for a minute.
    await Promise.all(
      open.map((socket) => new Promise((resolve) => socket.once('close', resolve))),
    );
  });

  it('answers 502 when every connection is dropped', async () => {
    ({ mock, app } = await startStack({ networkErrorRate: 1 }));
    const response = await app.inject({ method: 'GET', url: '/events' });
    expect(response.statusCode).toBe(502);
    expect(response.json().message).toBe('The Event API could not be reached');
  });

  it('answers 504 when the upstream is slower than UPSTREAM_TIMEOUT_MS', async () => {
    ({ mock, app } = await startStack(
      { networkErrorRate: 0, eventLatencyMs: 1_000 },
      { UPSTREAM_TIMEOUT_MS: '100' },
    ));
    expect((await app.inject({ method: 'GET', url: '/events/1' })).statusCode).toBe(504);
  });

  it('authenticates with a token from the mock’s development identity provider (the README’s walk)', async () => {
    const issuer = 'http://localhost:3001'; // what `npm start` gives the mock
    const stack = await startStack(
      { networkErrorRate: 0, eventLatencyMs: 0, addEventMode: 'ok', issuer },
      { AUTH_ISSUER: issuer, AUTH_AUDIENCE: 'event-gateway' },
      (address) => ({ AUTH_JWKS_URL: `${address}/.well-known/jwks.json` }),
    );
    ({ mock, app } = stack);
    const mint = async (payload: object) =>
      (await stack.mock.inject({ method: 'POST', url: '/dev/token', payload })).json<{
        access_token: string;
      }>().access_token;
    const reader = await mint({ sub: 'ada' });
    const writer = await mint({ sub: 'ada', scope: 'events:write' });
    const headers = (token: string) => ({
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    });

    const gateway = stack.app;
    expect((await gateway.inject({ method: 'GET', url: '/v1/users' })).statusCode).toBe(401);
    const read = await gateway.inject({
      method: 'GET',
      url: '/v1/users',
      headers: headers(reader),
    });
    expect(read.statusCode).toBe(200);
    const payload = { name: 'Team offsite', userId: '1' };
    const refused = await gateway.inject({
      method: 'POST',
      url: '/v1/events',
      headers: headers(reader),
      payload,
    });
    expect(refused.statusCode).toBe(403);
    const created = await gateway.inject({
      method: 'POST',
      url: '/v1/events',
      headers: headers(writer),
      payload,
    });
    expect(created.statusCode).toBe(201);
  });
});
