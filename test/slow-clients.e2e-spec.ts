import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import nock from 'nock';
import { connect, type Socket } from 'node:net';
import { guardUpstream, UPSTREAM, upstreamUser } from '../src/testing/nock-upstream';
import { useTestApp } from './support/test-app';

/** Resolves with what the server sent once it closes the connection. */
function closed(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  return new Promise((resolve) => socket.on('close', () => resolve(received)));
}

async function open(app: NestFastifyApplication): Promise<Socket> {
  const { port } = new URL(await app.getUrl());
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

describe('slow and stalled clients (e2e, real sockets)', () => {
  const upstream = guardUpstream();
  const gateway = useTestApp();
  const TIMEOUTS = { HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_REQUEST_TIMEOUT_MS: '2000' };

  async function listening(): Promise<NestFastifyApplication> {
    const app = await gateway.start(TIMEOUTS);
    await app.listen(0, '127.0.0.1');
    return app;
  }

  afterEach(() => upstream.assertNoUnmatchedRequests());

  it('closes a connection that sends nothing at all', async () => {
    const socket = await open(await listening());
    await closed(socket); // the test times out if the gateway keeps it open
    expect(socket.destroyed).toBe(true);
  });

  it('closes a connection that stops half-way through its headers, with 408', async () => {
    const socket = await open(await listening());
    const answer = closed(socket);
    socket.write('GET /users HTTP/1.1\r\nHost: gateway\r\nX-Half: ');
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({
      statusCode: 408,
      code: 'REQUEST_TIMEOUT',
    });
  });

  it('answers a request that is not valid HTTP in the common error shape, with a request id', async () => {
    const socket = await open(await listening());
    const answer = closed(socket);
    socket.write('GET /users HTTP/1.1\r\nHost: gateway\r\nIdempotency-Key: a\x01b\r\n\r\n');
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    const requestId = /^x-correlation-id: (\S+)\r$/im.exec(text)?.[1];
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'BAD_REQUEST',
      message: 'The request is not valid HTTP/1.1 (for example, a control character in a header)',
      requestId,
    });
  });

  it('completes a slow upload that keeps making progress within the request timeout', async () => {
    const app = await listening();
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1))
      .post('/addEvent')
      .reply(200, { success: true });
    const socket = await open(app);
    const answer = closed(socket);
    const body = JSON.stringify({ name: 'Slow upload', userId: '1', details: 'x'.repeat(200) });
    socket.write(
      `POST /events HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    // The body trickles in over about 800 ms: longer than the headers timeout, within the
    // request timeout. A slow client, not a stalled one.
    const chunks = body.match(/.{1,24}/g) ?? [];
    for (const chunk of chunks) {
      socket.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, 800 / chunks.length));
    }
    expect(await answer).toMatch(/^HTTP\/1\.1 201 /);
  });

  it('rejects a headers timeout longer than the request timeout at start-up', async () => {
    await expect(
      gateway.start({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' }),
    ).rejects.toThrow(/HTTP_HEADERS_TIMEOUT_MS must not be greater than HTTP_REQUEST_TIMEOUT_MS/);
  });
});
