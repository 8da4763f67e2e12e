import { createMockApi } from './mock-api';

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
});
