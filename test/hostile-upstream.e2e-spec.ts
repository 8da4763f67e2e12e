import nock from 'nock';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { guardUpstream, UPSTREAM } from '../src/testing/nock-upstream';
import { useTestApp } from './support/test-app';

const upstream = guardUpstream();

/** A raw TCP upstream: each connection gets `answer` written to it, then is reset. */
async function resettingUpstream(answer: string) {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => {
      socket.write(answer, () => socket.resetAndDestroy());
    });
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a hostile upstream (e2e)', () => {
  const gateway = useTestApp();
  afterEach(() => upstream.assertNoUnmatchedRequests());

  it('refuses a deeply nested body (1 MiB of brackets) as malformed without parsing it', async () => {
    const app = await gateway.start();
    const depth = 512 * 1024;
    const deep = '['.repeat(depth) + ']'.repeat(depth);
    nock(UPSTREAM).get('/getEvents').reply(200, deep, { 'content-type': 'application/json' });
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const response = await app.inject({ method: 'GET', url: '/events' });
      expect(response.statusCode).toBe(502);
      expect(response.json()).toMatchObject({ code: 'UPSTREAM_MALFORMED_RESPONSE' });
      // The work is bounded: the deep body was never handed to the parser.
      expect(parse.mock.calls.filter(([text]) => text === deep)).toHaveLength(0);
    } finally {
      parse.mockRestore();
    }
  });

  it('reports a 200 whose body is cut by a reset as unreachable, not as a bad status', async () => {
    const raw = await resettingUpstream(
      'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n[{"id":',
    );
    try {
      const app = await gateway.start({ EVENT_API_BASE_URL: raw.url });
      const response = await app.inject({ method: 'GET', url: '/events' });
      expect(response.statusCode).toBe(502);
      expect(response.json()).toMatchObject({ code: 'UPSTREAM_UNREACHABLE' });
      expect(response.json()).not.toHaveProperty('upstreamStatus');
    } finally {
      await raw.close();
    }
  });

  it('does not take { success: "yes" } as a stored event', async () => {
    const app = await gateway.start();
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, { id: 1, userName: 'Ada', events: [] })
      .post('/addEvent')
      .reply(200, { success: 'yes' });
    const response = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'Acknowledged?', userId: '1' }),
    });
    expect(response.statusCode).toBe(502);
    expect(response.json()).toMatchObject({ code: 'UPSTREAM_MALFORMED_RESPONSE' });
  });
});
