import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect } from 'node:net';
import { guardUpstream } from '../src/testing/nock-upstream';
import { useTestApp } from './support/test-app';

const upstream = guardUpstream();

/** Sends `raw` on a new connection and resolves with the answer's head, once it is closed. */
async function rawAnswer(app: NestFastifyApplication, raw: string): Promise<string> {
  const { port } = new URL(await app.getUrl());
  const socket = connect(Number(port), '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise((resolve) => socket.on('close', resolve));
  socket.write(raw);
  await closed;
  return received.slice(0, received.indexOf('\r\n\r\n')).toLowerCase();
}

describe('security edges (e2e)', () => {
  const gateway = useTestApp();
  afterEach(() => upstream.assertNoUnmatchedRequests());

  describe('security headers on answers given before any route runs', () => {
    const expectSecurityHeaders = (head: string | Record<string, unknown>) => {
      const has = (name: string) =>
        typeof head === 'string' ? head.includes(`\r\n${name}:`) : head[name] !== undefined;
      for (const name of [
        'content-security-policy',
        'x-content-type-options',
        'strict-transport-security',
        'x-frame-options',
      ]) {
        expect({ name, present: has(name) }).toEqual({ name, present: true });
      }
    };

    it('414 (a parameter too long for the router) and 400 (a malformed URL)', async () => {
      const app = await gateway.start();
      const long = await app.inject({ method: 'GET', url: `/users/${'a'.repeat(200)}` });
      expect(long.statusCode).toBe(414);
      expectSecurityHeaders(long.headers);
      const malformed = await app.inject({ method: 'GET', url: '/users/%E0%A4%A' });
      expect(malformed.statusCode).toBe(400);
      expectSecurityHeaders(malformed.headers);
    });

    it('431 and 408 (refused by the HTTP parser, on a real socket)', async () => {
      const app = await gateway.start({
        HTTP_HEADERS_TIMEOUT_MS: '300',
        HTTP_REQUEST_TIMEOUT_MS: '2000',
      });
      await app.listen(0, '127.0.0.1');
      const tooLarge = await rawAnswer(
        app,
        `GET /users HTTP/1.1\r\nHost: gateway\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      expect(tooLarge).toMatch(/^http\/1\.1 431 /);
      expectSecurityHeaders(tooLarge);
      const late = await rawAnswer(app, 'GET /users HTTP/1.1\r\nHost: gateway\r\nX-Half: ');
      expect(late).toMatch(/^http\/1\.1 408 /);
      expectSecurityHeaders(late);
    });
  });

  describe('with CORS_ORIGINS set', () => {
    it('answers 404 for an unknown path, not 405 "allowed: OPTIONS"', async () => {
      const app = await gateway.start({ CORS_ORIGINS: 'https://app.example.com' });
      const response = await app.inject({ method: 'GET', url: '/no-such-thing' });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    });

    it('answers 404 for /admin/* when the admin routes are off (no ADMIN_TOKEN)', async () => {
      const app = await gateway.start({ CORS_ORIGINS: 'https://app.example.com' });
      const response = await app.inject({ method: 'POST', url: '/admin/circuit-breakers/x/reset' });
      expect(response.statusCode).toBe(404);
    });

    it('still answers 405 with Allow for a known path and another method', async () => {
      const app = await gateway.start({ CORS_ORIGINS: 'https://app.example.com' });
      const response = await app.inject({ method: 'DELETE', url: '/events/1' });
      expect(response.statusCode).toBe(405);
      expect(String(response.headers.allow)).toContain('GET');
    });
  });
});
