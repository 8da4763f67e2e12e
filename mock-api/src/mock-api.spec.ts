import type { FastifyInstance } from 'fastify';
import { performance } from 'node:perf_hooks';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { DEV_AUDIENCE } from './dev-identity-provider';
import { createMockApi, type MockApiOptions } from './mock-api';

type Api = FastifyInstance;

const addEvent = (api: Api, id: string, userId: string | number = 1) =>
  api.inject({ method: 'POST', url: '/addEvent', payload: { id, name: `Event ${id}`, userId } });

const putConfig = (api: Api, payload: unknown) =>
  api.inject({ method: 'PUT', url: '/__mock/config', payload: payload as object });

const getConfig = async (api: Api) =>
  (await api.inject({ method: 'GET', url: '/__mock/config' })).json();

const stats = async (api: Api) =>
  (await api.inject({ method: 'GET', url: '/__mock/stats' })).json();

const getUser = (api: Api, id: string | number) =>
  api.inject({ method: 'GET', url: `/getUserById/${id}` });

/** Milliseconds one injected request takes. */
async function timedInject(api: Api, url: string): Promise<number> {
  const started = performance.now();
  await api.inject({ method: 'GET', url });
  return performance.now() - started;
}

/** Polls (one event-loop turn at a time, no fixed sleeps) until `condition` holds; 5 s at most. */
async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Listens on a free loopback port; `close` is idempotent. */
async function listening(options: Partial<MockApiOptions>) {
  const api = createMockApi(options);
  const address = await api.listen({ port: 0, host: '127.0.0.1' });
  return { api, address };
}

/**
 * Sends `POST /addEvent` over a real socket and reports how it ended: `response <status>` or the
 * name of the error (`AbortError` when the client gave up before any answer came).
 */
function postOverSocket(address: string, id: string, signal: AbortSignal) {
  let settled = false;
  const outcome = fetch(`${address}/addEvent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, name: `Event ${id}`, userId: 1 }),
    signal,
  }).then(
    (response) => `response ${response.status}`,
    (error: Error) => error.name,
  );
  void outcome.finally(() => (settled = true));
  return { outcome, isSettled: () => settled };
}

/** The load counters of GET /__mock/stats when nothing is in flight and nothing happened. */
const NO_LOAD = { inFlight: 0, peakInFlight: 0, overCapacity: 0, overloadErrors: 0, stragglers: 0 };

/** The new keys of the runtime config, at their defaults (no stragglers, no capacity). */
const TAIL_DEFAULTS = {
  eventStragglerEvery: 0,
  eventStragglerLatencyMs: 2000,
  capacity: 0,
  overloadLatencyMsPerCall: 5,
  overloadErrorRate: 0.25,
};

describe('mock Event API', () => {
  const quiet = { eventLatencyMs: 0, failureDelayMs: 0, networkErrorRate: 0 };

  it('serves users the way the real upstream does: numeric ids and userName', async () => {
    const api = createMockApi(quiet);
    const users = (await api.inject({ method: 'GET', url: '/getUsers' })).json();
    expect(users[0]).toEqual({
      id: 1,
      userName: 'Ada Lovelace',
      email: 'ada@example.com',
      events: ['1', '2'],
    });
    expect(users.find((user: { id: number }) => user.id === 2).events).toHaveLength(50);
  });

  it('answers an unknown user or event with 200 and an empty body', async () => {
    const api = createMockApi(quiet);
    for (const url of ['/getUserById/999', '/getEventById/999']) {
      const response = await api.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe('');
    }
  });

  it('returns an event whose body id differs from its key (a real quirk)', async () => {
    const api = createMockApi(quiet);
    expect((await api.inject({ method: 'GET', url: '/getEventById/7' })).json()).toMatchObject({
      id: 70,
    });
  });

  it('runs the addEvent cycle: 5 successes, 10 failures, then again', async () => {
    const api = createMockApi(quiet);
    const statuses: number[] = [];
    for (let i = 0; i < 16; i += 1) {
      const response = await api.inject({
        method: 'POST',
        url: '/addEvent',
        payload: { id: `e${i}`, name: 'x', userId: 1 },
      });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([...Array(5).fill(200), ...Array(10).fill(503), 200]);
  });

  it('stores a created event on its user', async () => {
    const api = createMockApi(quiet);
    await api.inject({
      method: 'POST',
      url: '/addEvent',
      payload: { id: 'new-1', name: 'N', userId: '3' },
    });
    expect((await api.inject({ method: 'GET', url: '/getUserById/3' })).json().events).toContain(
      'new-1',
    );
    expect((await api.inject({ method: 'GET', url: '/getEventById/new-1' })).json()).toMatchObject({
      name: 'N',
    });
  });

  it('can turn the failure cycle off', async () => {
    const api = createMockApi({ ...quiet, addEventCycle: false });
    for (let i = 0; i < 8; i += 1) {
      const response = await api.inject({
        method: 'POST',
        url: '/addEvent',
        payload: { id: `e${i}`, name: 'x', userId: 1 },
      });
      expect(response.statusCode).toBe(200);
    }
  });

  it('drops list-route connections at the configured rate, repeatably for a seed', async () => {
    const outcomes = async () => {
      const api = createMockApi({ ...quiet, networkErrorRate: 0.5, seed: 7 });
      await api.listen({ port: 0, host: '127.0.0.1' });
      const { port } = api.server.address() as { port: number };
      const results: string[] = [];
      for (let i = 0; i < 20; i += 1) {
        results.push(
          await fetch(`http://127.0.0.1:${port}/getEvents`).then(
            (response) => String(response.status),
            () => 'dropped',
          ),
        );
      }
      await api.close();
      return results;
    };
    const first = await outcomes();
    expect(first).toContain('dropped');
    expect(first).toContain('200');
    expect(await outcomes()).toEqual(first);
  });

  it('counts calls per route on GET /__mock/stats', async () => {
    const api = createMockApi(quiet);
    await api.inject({ method: 'GET', url: '/getUserById/1' });
    await api.inject({ method: 'GET', url: '/getUserById/2' });
    await api.inject({ method: 'GET', url: '/getUsers' });
    expect((await api.inject({ method: 'GET', url: '/__mock/stats' })).json()).toEqual({
      calls: { '/getUserById/:id': 2, '/getUsers': 1 },
      stored: {},
      addEventCalls: {},
      load: { ...NO_LOAD, peakInFlight: 1 }, // one call at a time
    });
  });

  it('resets its data and cycle on POST /__mock/reset', async () => {
    const api = createMockApi(quiet);
    for (let i = 0; i < 5; i += 1) {
      await api.inject({
        method: 'POST',
        url: '/addEvent',
        payload: { id: `e${i}`, name: 'x', userId: 1 },
      });
    }
    await api.inject({ method: 'POST', url: '/__mock/reset' });
    const response = await api.inject({
      method: 'POST',
      url: '/addEvent',
      payload: { id: 'z', name: 'x', userId: 1 },
    });
    expect(response.statusCode).toBe(200);
    expect((await api.inject({ method: 'GET', url: '/getEventById/e0' })).body).toBe('');
  });

  describe('runtime config (GET/PUT /__mock/config)', () => {
    it('reports the behaviours in force, from the start options', async () => {
      expect(await getConfig(createMockApi(quiet))).toEqual({
        eventLatencyMs: 0,
        userLatencyMs: 0,
        listLatencyMs: 0,
        failureDelayMs: 0,
        networkErrorRate: 0,
        addEventMode: 'cycle',
        ...TAIL_DEFAULTS,
      });
      expect(await getConfig(createMockApi({ addEventCycle: false }))).toMatchObject({
        eventLatencyMs: 500,
        failureDelayMs: 100,
        networkErrorRate: 0.05,
        addEventMode: 'ok',
      });
      const explicit = createMockApi({ addEventCycle: false, addEventMode: 'store-then-503' });
      expect((await getConfig(explicit)).addEventMode).toBe('store-then-503');
    });

    it('applies a partial change and leaves the rest as it was', async () => {
      const api = createMockApi(quiet);
      const response = await putConfig(api, { eventLatencyMs: 25, addEventMode: 'fail' });
      expect(response.statusCode).toBe(200);
      const expected = {
        eventLatencyMs: 25,
        userLatencyMs: 0,
        listLatencyMs: 0,
        failureDelayMs: 0,
        networkErrorRate: 0,
        addEventMode: 'fail',
        ...TAIL_DEFAULTS,
      };
      expect(response.json()).toEqual(expected);
      expect(await getConfig(api)).toEqual(expected);
      expect((await putConfig(api, {})).json()).toEqual(expected);
    });

    it.each([
      ['an unknown key', { eventLatency: 5 }, 'eventLatency is not a known setting'],
      ['a negative delay', { eventLatencyMs: -1 }, 'eventLatencyMs must be a number'],
      ['a delay over 10 minutes', { userLatencyMs: 600_001 }, 'userLatencyMs must be a number'],
      ['a delay given as a string', { listLatencyMs: '5' }, 'listLatencyMs must be a number'],
      ['a rate over 1', { networkErrorRate: 1.5 }, 'networkErrorRate must be a number from 0 to 1'],
      ['an unknown mode', { addEventMode: 'sometimes' }, 'addEventMode must be one of cycle, ok'],
      [
        'a straggler period that is not whole',
        { eventStragglerEvery: 2.5 },
        'eventStragglerEvery must be an integer from 0 to 1000000',
      ],
      [
        'a negative straggler period',
        { eventStragglerEvery: -1 },
        'eventStragglerEvery must be an integer',
      ],
      [
        'a straggler delay over 10 minutes',
        { eventStragglerLatencyMs: 600_001 },
        'eventStragglerLatencyMs must be a number of milliseconds',
      ],
      ['a capacity given as a string', { capacity: '32' }, 'capacity must be an integer'],
      ['a capacity over a million', { capacity: 1_000_001 }, 'capacity must be an integer'],
      [
        'a negative overload delay',
        { overloadLatencyMsPerCall: -5 },
        'overloadLatencyMsPerCall must be a number of milliseconds',
      ],
      [
        'an overload error rate over 1',
        { overloadErrorRate: 1.01 },
        'overloadErrorRate must be a number from 0 to 1',
      ],
      ['a list', [1], 'the body must be a JSON object'],
      ['null', null, 'the body must be a JSON object'],
    ])('answers 400 to %s and changes nothing', async (_case, body, message) => {
      const api = createMockApi(quiet);
      const before = await getConfig(api);
      const response = await api.inject({
        method: 'PUT',
        url: '/__mock/config',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      expect(response.statusCode).toBe(400);
      expect(JSON.stringify(response.json().message)).toContain(message);
      expect(await getConfig(api)).toEqual(before);
    });

    it('is all or nothing: one bad value keeps the valid ones out too', async () => {
      const api = createMockApi(quiet);
      const response = await putConfig(api, { eventLatencyMs: 10, addEventMode: 'nope' });
      expect(response.statusCode).toBe(400);
      expect(await getConfig(api)).toMatchObject({ eventLatencyMs: 0, addEventMode: 'cycle' });
    });

    it('answers 400 to a body that is not JSON', async () => {
      const api = createMockApi(quiet);
      const response = await api.inject({
        method: 'PUT',
        url: '/__mock/config',
        headers: { 'content-type': 'application/json' },
        payload: '{"eventLatencyMs":',
      });
      expect(response.statusCode).toBe(400);
    });

    it('delays event, user and list routes by the configured latencies', async () => {
      const api = createMockApi(quiet);
      await putConfig(api, { eventLatencyMs: 60, userLatencyMs: 60, listLatencyMs: 60 });
      // Lower bounds only: a loaded machine may be slower, never faster than the delay.
      for (const url of ['/getEventById/1', '/getUserById/1', '/getUsers', '/getEvents']) {
        expect(await timedInject(api, url)).toBeGreaterThanOrEqual(55);
      }
    });

    it('delays failing addEvent answers by failureDelayMs', async () => {
      const api = createMockApi({ ...quiet, addEventMode: 'fail' });
      await putConfig(api, { failureDelayMs: 60 });
      const started = performance.now();
      expect((await addEvent(api, 'slow')).statusCode).toBe(503);
      expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    });

    it('changes the network error rate at runtime', async () => {
      const { api, address } = await listening(quiet);
      try {
        expect((await fetch(`${address}/getUsers`)).status).toBe(200);
        await putConfig(api, { networkErrorRate: 1 });
        await expect(fetch(`${address}/getUsers`)).rejects.toThrow('fetch failed');
        await putConfig(api, { networkErrorRate: 0 });
        expect((await fetch(`${address}/getEvents`)).status).toBe(200);
      } finally {
        await api.close();
      }
    });
  });

  describe('addEvent modes', () => {
    it('ok: always stores and answers 200 {success:true}', async () => {
      const api = createMockApi({ ...quiet, addEventMode: 'ok' });
      for (let i = 0; i < 20; i += 1) {
        const response = await addEvent(api, `ok${i}`);
        expect(response.statusCode).toBe(200);
        expect(response.json()).toEqual({ success: true });
      }
      const { stored, addEventCalls } = await stats(api);
      expect(Object.keys(stored)).toHaveLength(20);
      expect(stored.ok19).toBe(1);
      expect(addEventCalls.ok19).toBe(1);
      expect((await getUser(api, 1)).json().events).toContain('ok19');
    });

    it('fail: always answers 503 and stores nothing', async () => {
      const api = createMockApi({ ...quiet, addEventMode: 'fail' });
      for (let i = 0; i < 3; i += 1) {
        const response = await addEvent(api, 'f1');
        expect(response.statusCode).toBe(503);
        expect(response.json()).toMatchObject({ success: false, error: 'Service Unavailable' });
      }
      expect(await stats(api)).toMatchObject({ stored: {}, addEventCalls: { f1: 3 } });
      expect((await api.inject({ method: 'GET', url: '/getEventById/f1' })).body).toBe('');
      expect((await getUser(api, 1)).json().events).toEqual(['1', '2']);
    });

    it('store-then-503: stores the event exactly once, then answers 503', async () => {
      const api = createMockApi({ ...quiet, addEventMode: 'store-then-503' });
      const response = await addEvent(api, 's1', 3);
      expect(response.statusCode).toBe(503);
      expect(await stats(api)).toMatchObject({ stored: { s1: 1 }, addEventCalls: { s1: 1 } });
      expect((await api.inject({ method: 'GET', url: '/getEventById/s1' })).json()).toEqual({
        id: 's1',
        name: 'Event s1',
        userId: 3,
      });
      expect((await getUser(api, 3)).json().events).toEqual(['3', 's1']);
    });

    it.each(['ok', 'store-then-503'] as const)(
      '%s: answers 400 to an incomplete body and stores nothing',
      async (addEventMode) => {
        const api = createMockApi({ ...quiet, addEventMode });
        const response = await api.inject({
          method: 'POST',
          url: '/addEvent',
          payload: { id: 'incomplete', userId: 1 },
        });
        expect(response.statusCode).toBe(400);
        expect(await stats(api)).toMatchObject({ stored: {}, addEventCalls: { incomplete: 1 } });
      },
    );

    it('counts stores and calls per event id, so a retried write shows up', async () => {
      const api = createMockApi({ ...quiet, addEventCycle: false });
      await addEvent(api, 'twice');
      await addEvent(api, 'twice');
      await addEvent(api, 'once');
      await putConfig(api, { addEventMode: 'fail' });
      await addEvent(api, 'once');
      expect(await stats(api)).toMatchObject({
        stored: { twice: 2, once: 1 },
        addEventCalls: { twice: 2, once: 2 },
        calls: { '/addEvent': 4 },
      });
    });

    it('cycle: counts only calls made in cycle mode, so switching back resumes the cycle', async () => {
      const api = createMockApi(quiet);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await addEvent(api, `c${i}`)).statusCode);
      await putConfig(api, { addEventMode: 'ok' });
      for (let i = 0; i < 10; i += 1) statuses.push((await addEvent(api, `o${i}`)).statusCode);
      await putConfig(api, { addEventMode: 'cycle' });
      for (let i = 3; i < 6; i += 1) statuses.push((await addEvent(api, `c${i}`)).statusCode);
      expect(statuses).toEqual([...Array(13).fill(200), 200, 200, 503]);
    });

    describe('modes that never answer (real sockets)', () => {
      /** How long a client waits, once the mock has handled its request, to call it unanswered. */
      const NO_ANSWER_GRACE_MS = 100;
      let api: Api | undefined;
      afterEach(async () => {
        await api?.close();
        api = undefined;
      });

      it.each([
        ['store-then-hang', { stored: { h1: 1 }, addEventCalls: { h1: 1 } }],
        ['hang', { stored: {}, addEventCalls: { h1: 1 } }],
      ] as const)('%s: the client gets no answer', async (addEventMode, expectedStats) => {
        let address: string;
        ({ api, address } = await listening({ ...quiet, addEventMode }));
        const client = new AbortController();
        const request = postOverSocket(address, 'h1', client.signal);
        const mock = api;
        await waitUntil(async () => (await stats(mock)).addEventCalls.h1 === 1);
        // The handler has run (it is synchronous after the count). A later request over the
        // network comes back first, and the client still waits a grace period (an answer takes
        // ~1 ms on loopback) before giving up: only then is "no answer" a fact.
        expect((await fetch(`${address}/__mock/config`)).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, NO_ANSWER_GRACE_MS));
        expect(request.isSettled()).toBe(false);
        expect(await stats(mock)).toMatchObject(expectedStats);
        client.abort();
        // AbortError, not a Response: no status line ever came back.
        expect(await request.outcome).toBe('AbortError');
      });

      it('store-then-hang: the stored event is readable while its writer still waits', async () => {
        let address: string;
        ({ api, address } = await listening({ ...quiet, addEventMode: 'store-then-hang' }));
        const client = new AbortController();
        const request = postOverSocket(address, 'h2', client.signal);
        const mock = api;
        await waitUntil(async () => (await stats(mock)).stored.h2 === 1);
        const event = await fetch(`${address}/getEventById/h2`).then((r) => r.json());
        expect(event).toMatchObject({ id: 'h2', userId: 1 });
        await new Promise((resolve) => setTimeout(resolve, NO_ANSWER_GRACE_MS));
        expect(request.isSettled()).toBe(false);
        client.abort();
        expect(await request.outcome).toBe('AbortError');
      });

      it.each(['hang', 'store-then-hang'] as const)(
        '%s: close() still ends, cutting the waiting clients off',
        async (addEventMode) => {
          let address: string;
          ({ api, address } = await listening({ ...quiet, addEventMode }));
          const requests = ['a', 'b'].map((id) =>
            postOverSocket(address, id, AbortSignal.timeout(30_000)),
          );
          const mock = api;
          await waitUntil(async () => Object.keys((await stats(mock)).addEventCalls).length === 2);
          await mock.close();
          api = undefined;
          // The socket was destroyed by the mock: a network error, long before the client's
          // own 30 s timeout (which would be a TimeoutError).
          for (const request of requests) expect(await request.outcome).toBe('TypeError');
        },
      );
    });
  });

  describe('users with N events (PUT /__mock/users/:id)', () => {
    const putUser = (api: Api, id: string, payload: unknown) =>
      api.inject({ method: 'PUT', url: `/__mock/users/${id}`, payload: payload as object });

    it('creates a user with exactly N events, each fetchable, ids <userId>-<i>', async () => {
      const api = createMockApi(quiet);
      const response = await putUser(api, '1000', { userName: 'Fan Out', eventCount: 100 });
      expect(response.statusCode).toBe(200);
      const user = (await getUser(api, 1000)).json();
      expect(user).toMatchObject({ id: 1000, userName: 'Fan Out', email: 'user1000@example.com' });
      expect(user.events).toHaveLength(100);
      expect(new Set(user.events).size).toBe(100);
      expect(user.events[0]).toBe('1000-1');
      expect(user.events[99]).toBe('1000-100');
      for (const id of ['1000-1', '1000-100']) {
        const event = (await api.inject({ method: 'GET', url: `/getEventById/${id}` })).json();
        expect(event).toMatchObject({ id, userId: 1000 });
        expect(typeof event.name).toBe('string');
      }
      expect(response.json()).toEqual(user);
    });

    it('replaces a generated user, leaving exactly the new N events', async () => {
      const api = createMockApi(quiet);
      await putUser(api, '77', { userName: 'A', eventCount: 10 });
      await putUser(api, '77', { userName: 'B', eventCount: 3, email: 'b@example.com' });
      const user = (await getUser(api, 77)).json();
      expect(user).toEqual({
        id: 77,
        userName: 'B',
        email: 'b@example.com',
        events: ['77-1', '77-2', '77-3'],
      });
      expect((await api.inject({ method: 'GET', url: '/getEventById/77-4' })).body).toBe('');
    });

    it('allows a user with no events and leaves the seed data alone', async () => {
      const api = createMockApi(quiet);
      await putUser(api, '5', { userName: 'Nobody', eventCount: 0 });
      expect((await getUser(api, 5)).json().events).toEqual([]);
      expect((await getUser(api, 2)).json().events).toHaveLength(50);
      expect((await api.inject({ method: 'GET', url: '/getUsers' })).json()).toHaveLength(5);
    });

    it.each([
      ['a non-numeric id', 'abc', { userName: 'X', eventCount: 1 }, 'the user id must be'],
      ['a negative count', '9', { userName: 'X', eventCount: -1 }, 'eventCount must be'],
      ['a fractional count', '9', { userName: 'X', eventCount: 1.5 }, 'eventCount must be'],
      ['too many events', '9', { userName: 'X', eventCount: 10_001 }, 'eventCount must be'],
      ['no userName', '9', { eventCount: 1 }, 'userName must be'],
      [
        'an unknown field',
        '9',
        { userName: 'X', eventCount: 1, extra: 1 },
        'unknown fields: extra',
      ],
      ['a body that is a list', '9', [], 'the body must be a JSON object'],
    ])('answers 400 to %s and creates nothing', async (_case, id, body, message) => {
      const api = createMockApi(quiet);
      const response = await putUser(api, id, body);
      expect(response.statusCode).toBe(400);
      expect(JSON.stringify(response.json().message)).toContain(message);
      expect((await getUser(api, id)).body).toBe('');
    });
  });

  describe('stragglers (eventStragglerEvery, eventStragglerLatencyMs)', () => {
    /** Fetches an event and says whether the mock counted that call as a straggler. */
    const fetchEvent = async (api: Api) => {
      const before = (await stats(api)).load.stragglers;
      const response = await api.inject({ method: 'GET', url: '/getEventById/1' });
      expect(response.json()).toMatchObject({ id: 1 });
      return (await stats(api)).load.stragglers - before === 1;
    };

    it('makes exactly every Nth event fetch a straggler, counted from the change', async () => {
      const api = createMockApi(quiet);
      await fetchEvent(api); // a call before the change does not count toward the period
      await putConfig(api, { eventStragglerEvery: 3, eventStragglerLatencyMs: 0 });
      const pattern: boolean[] = [];
      for (let i = 0; i < 7; i += 1) pattern.push(await fetchEvent(api));
      expect(pattern).toEqual([false, false, true, false, false, true, false]);
    });

    it('starts the count again when the period is set again, or on a reset', async () => {
      const api = createMockApi({ ...quiet, eventStragglerEvery: 2, eventStragglerLatencyMs: 0 });
      expect(await fetchEvent(api)).toBe(false);
      await putConfig(api, { eventStragglerEvery: 2 });
      expect([await fetchEvent(api), await fetchEvent(api)]).toEqual([false, true]);
      expect(await fetchEvent(api)).toBe(false);
      await api.inject({ method: 'POST', url: '/__mock/reset' });
      expect([await fetchEvent(api), await fetchEvent(api)]).toEqual([false, true]);
    });

    it('leaves other routes and other settings alone; 0 means none', async () => {
      const api = createMockApi({ ...quiet, eventStragglerLatencyMs: 0 });
      for (let i = 0; i < 3; i += 1) expect(await fetchEvent(api)).toBe(false);
      await putConfig(api, { eventStragglerEvery: 1 });
      await api.inject({ method: 'GET', url: '/getUserById/1' });
      await api.inject({ method: 'GET', url: '/getEvents' });
      expect((await stats(api)).load.stragglers).toBe(0);
      expect(await fetchEvent(api)).toBe(true);
    });

    it('delays a straggler by eventStragglerLatencyMs instead of eventLatencyMs', async () => {
      const api = createMockApi(quiet);
      await putConfig(api, { eventStragglerEvery: 1, eventStragglerLatencyMs: 60 });
      // A lower bound only: a loaded machine may be slower, never faster than the delay.
      expect(await timedInject(api, '/getEventById/1')).toBeGreaterThanOrEqual(55);
    });
  });

  describe('capacity (capacity, overloadLatencyMsPerCall, overloadErrorRate)', () => {
    /** `n` event fetches sent together; their statuses in the order they were sent. */
    const together = async (api: Api, n: number) =>
      (
        await Promise.all(
          Array.from({ length: n }, () => api.inject({ method: 'GET', url: '/getEventById/1' })),
        )
      ).map((response) => response.statusCode);

    it('answers every call within capacity normally, and counts the calls in flight', async () => {
      const api = createMockApi({ ...quiet, eventLatencyMs: 20 });
      await putConfig(api, { capacity: 4, overloadErrorRate: 1 });
      expect(await together(api, 4)).toEqual([200, 200, 200, 200]);
      expect((await stats(api)).load).toEqual({ ...NO_LOAD, peakInFlight: 4 });
    });

    it('refuses the configured share of the reads arriving past capacity with 503', async () => {
      const api = createMockApi({ ...quiet, eventLatencyMs: 20 });
      await putConfig(api, { capacity: 2, overloadErrorRate: 0.5, overloadLatencyMsPerCall: 0 });
      // Calls 3 to 6 arrive past capacity; half of them, evenly spread (the 4th and the 6th), fail.
      const statuses = await together(api, 6);
      expect(statuses).toEqual([200, 200, 200, 503, 200, 503]);
      expect((await stats(api)).load).toEqual({
        inFlight: 0,
        peakInFlight: 6,
        overCapacity: 4,
        overloadErrors: 2,
        stragglers: 0,
      });
      const alone = await api.inject({ method: 'GET', url: '/getUserById/1' });
      expect(alone.statusCode).toBe(200); // alone again: within capacity
    });

    it('slows each read past capacity by overloadLatencyMsPerCall per call over it', async () => {
      const api = createMockApi(quiet);
      await putConfig(api, { capacity: 1, overloadLatencyMsPerCall: 40, overloadErrorRate: 0 });
      const times = await Promise.all([0, 1, 2].map(() => timedInject(api, '/getUserById/1')));
      // The 2nd call is 1 over capacity (+40 ms), the 3rd 2 over (+80 ms). Lower bounds only.
      expect(times[1]).toBeGreaterThanOrEqual(35);
      expect(times[2]).toBeGreaterThanOrEqual(75);
      expect((await stats(api)).load).toMatchObject({ overCapacity: 2, overloadErrors: 0 });
    });

    it('never refuses addEvent, though it counts toward the calls in flight', async () => {
      const api = createMockApi({ ...quiet, eventLatencyMs: 20, addEventMode: 'ok' });
      await putConfig(api, { capacity: 1, overloadErrorRate: 1 });
      const [read, write] = await Promise.all([
        api.inject({ method: 'GET', url: '/getEventById/1' }),
        addEvent(api, 'w1'),
      ]);
      expect([read.statusCode, write.statusCode]).toEqual([200, 200]);
      expect((await stats(api)).load).toMatchObject({ peakInFlight: 2, overCapacity: 1 });
      expect((await stats(api)).stored).toEqual({ w1: 1 });
    });

    it('has no effect with capacity 0 (the default)', async () => {
      const api = createMockApi({ ...quiet, eventLatencyMs: 20 });
      await putConfig(api, { overloadErrorRate: 1 });
      expect(await together(api, 5)).toEqual([200, 200, 200, 200, 200]);
      expect((await stats(api)).load).toEqual({ ...NO_LOAD, peakInFlight: 5 });
    });

    it('stops counting a call once its client goes away unanswered (real sockets)', async () => {
      const { api, address } = await listening({ ...quiet, addEventMode: 'hang' });
      try {
        const client = new AbortController();
        const request = postOverSocket(address, 'gone', client.signal);
        await waitUntil(async () => (await stats(api)).load.inFlight === 1);
        client.abort();
        expect(await request.outcome).toBe('AbortError');
        await waitUntil(async () => (await stats(api)).load.inFlight === 0);
        expect((await stats(api)).load.peakInFlight).toBe(1);
      } finally {
        await api.close();
      }
    });
  });

  it('zeroes the counters on POST /__mock/stats/reset, keeping data and config', async () => {
    const api = createMockApi({ ...quiet, addEventMode: 'ok' });
    await putConfig(api, { eventStragglerEvery: 1, eventStragglerLatencyMs: 0 });
    await addEvent(api, 's1');
    await api.inject({ method: 'GET', url: '/getEventById/s1' });
    expect((await stats(api)).load.stragglers).toBe(1);
    const response = await api.inject({ method: 'POST', url: '/__mock/stats/reset' });
    expect(response.statusCode).toBe(200);
    expect(await stats(api)).toEqual({ calls: {}, stored: {}, addEventCalls: {}, load: NO_LOAD });
    expect(await getConfig(api)).toMatchObject({ eventStragglerEvery: 1, addEventMode: 'ok' });
    expect((await api.inject({ method: 'GET', url: '/getEventById/s1' })).json()).toMatchObject({
      id: 's1',
    });
  });

  it('puts config, counters and generated users back on POST /__mock/reset', async () => {
    const api = createMockApi(quiet);
    await putConfig(api, { addEventMode: 'store-then-503', eventLatencyMs: 5 });
    await addEvent(api, 'r1');
    await api.inject({
      method: 'PUT',
      url: '/__mock/users/500',
      payload: { userName: 'Gone', eventCount: 2 },
    });
    await api.inject({ method: 'POST', url: '/__mock/reset' });
    expect(await getConfig(api)).toMatchObject({ addEventMode: 'cycle', eventLatencyMs: 0 });
    expect(await stats(api)).toEqual({ calls: {}, stored: {}, addEventCalls: {}, load: NO_LOAD });
    expect((await getUser(api, 500)).body).toBe('');
    expect((await api.inject({ method: 'GET', url: '/getEventById/500-1' })).body).toBe('');
    expect((await api.inject({ method: 'GET', url: '/getEventById/r1' })).body).toBe('');
  });
});

describe('development identity provider', () => {
  const issuer = 'http://localhost:3001';
  let api: Api;
  beforeEach(() => {
    api = createMockApi({ issuer });
  });
  afterEach(() => api.close());

  const jwks = async () =>
    (await api.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<JSONWebKeySet>();
  const token = (payload: object) => api.inject({ method: 'POST', url: '/dev/token', payload });

  it('publishes one public ES256 key, and no private part', async () => {
    const { keys } = await jwks();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('mints a token for the subject and scopes asked for, which verifies against its JWKS', async () => {
    const response = await token({ sub: 'ada', scope: 'events:write events:read', expiresIn: 60 });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ access_token: string; token_type: string; expires_in: number }>();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 60 });
    const { payload, protectedHeader } = await jwtVerify(
      body.access_token,
      createLocalJWKSet(await jwks()),
      { issuer, audience: DEV_AUDIENCE, algorithms: ['ES256'] },
    );
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ sub: 'ada', scope: 'events:write events:read' });
    expect(payload.exp! - payload.iat!).toBe(60);
  });

  it.each([
    ['no sub', {}],
    ['a sub with a space', { sub: 'a b' }],
    ['a scope that is not a string', { sub: 'ada', scope: ['events:write'] }],
    ['a lifetime over a day', { sub: 'ada', expiresIn: 86_401 }],
  ])('refuses %s with 400 invalid_request', async (_name, payload) => {
    const response = await token(payload);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_request' });
  });
});
