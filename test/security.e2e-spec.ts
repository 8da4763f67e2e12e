import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import nock from 'nock';
import { guardUpstream, UPSTREAM, upstreamUser } from '../src/testing/nock-upstream';
import { createTestApp } from './support/test-app';

const json = { 'content-type': 'application/json' };

describe('security (e2e)', () => {
  const upstream = guardUpstream();
  let app: NestFastifyApplication | undefined;

  afterEach(async () => {
    upstream.assertNoUnmatchedRequests();
    await app?.close();
    app = undefined;
  });

  describe('headers', () => {
    it("gives Swagger UI's page the full set of headers, with a CSP that keeps it on its own assets", async () => {
      app = await createTestApp();
      for (const url of ['/docs', '/docs/swagger-ui.css']) {
        const response = await app.inject({ method: 'GET', url });
        expect(response.statusCode).toBe(200);
        const csp = String(response.headers['content-security-policy']);
        expect(csp).toContain("default-src 'self'");
        expect(csp).toContain("script-src 'self'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(response.headers['x-content-type-options']).toBe('nosniff');
        expect(response.headers['x-frame-options']).toBe('DENY');
        expect(response.headers['strict-transport-security']).toBeDefined();
        expect(response.headers['cross-origin-opener-policy']).toBe('same-origin');
        // Over plain HTTP it would send browsers to HTTPS for the docs' own assets.
        expect(csp).not.toContain('upgrade-insecure-requests');
      }
      // Swagger UI's page loads only scripts the app serves itself, which CSP 'self' allows.
      const page = (await app.inject({ method: 'GET', url: '/docs' })).body;
      const scripts = [...page.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const src of scripts) {
        expect(src).not.toMatch(/^https?:/);
        // Relative to the page: ./docs/swagger-ui-bundle.js from /docs is /docs/swagger-ui-bundle.js.
        const path = new URL(src, 'http://gateway/docs').pathname;
        expect((await app.inject({ method: 'GET', url: path })).statusCode).toBe(200);
      }
      expect(page).not.toMatch(/<script>(?!\s*<\/script>)/); // no inline script for CSP to block
    });

    it('gives API answers only the headers an API needs (OWASP REST cheat sheet), in under 600 bytes', async () => {
      app = await createTestApp({ READ_CACHE_TTL_MS: '5000' });
      nock(UPSTREAM).get('/getUserById/1').reply(200, upstreamUser(1));
      await app.inject({ method: 'GET', url: '/users/1' }); // stored: the next one is a hit
      const answers = [
        await app.inject({ method: 'GET', url: '/users/1' }),
        await app.inject({ method: 'GET', url: '/nope' }),
        await app.inject({ method: 'GET', url: '/docs-json' }),
      ];
      for (const response of answers) {
        expect(response.headers).toMatchObject({
          'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          'referrer-policy': 'no-referrer',
          'strict-transport-security': 'max-age=31536000; includeSubDomains',
        });
        for (const pageOnly of [
          'cross-origin-opener-policy',
          'cross-origin-resource-policy',
          'origin-agent-cluster',
          'x-dns-prefetch-control',
          'x-download-options',
          'x-permitted-cross-domain-policies',
          'x-xss-protection',
        ]) {
          expect({ pageOnly, value: response.headers[pageOnly] }).toEqual({
            pageOnly,
            value: undefined,
          });
        }
      }
      // Every header of a cache hit's JSON answer, as written on the wire (Date, Connection and
      // Keep-Alive apart, which inject leaves out): was about 1 KB with helmet's page headers.
      const hit = answers[0];
      expect(hit.statusCode).toBe(200);
      expect(hit.headers['cache-status']).toMatch(/; hit;/);
      const bytes = Object.entries(hit.headers).reduce(
        (sum, [name, value]) => sum + `${name}: ${String(value)}\r\n`.length,
        0,
      );
      expect(bytes).toBeLessThan(600);
    });

    it('has CORS off by default', async () => {
      app = await createTestApp();
      const response = await app.inject({
        method: 'OPTIONS',
        url: '/events',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('allows exactly the origins in CORS_ORIGINS', async () => {
      app = await createTestApp({ CORS_ORIGINS: 'https://app.example.com' });
      const preflight = (origin: string) =>
        app!.inject({
          method: 'OPTIONS',
          url: '/events',
          headers: { origin, 'access-control-request-method': 'POST' },
        });
      expect(
        (await preflight('https://app.example.com')).headers['access-control-allow-origin'],
      ).toBe('https://app.example.com');
      expect(
        (await preflight('https://evil.example')).headers['access-control-allow-origin'],
      ).toBeUndefined();
    });

    it('lets a browser script read every header the gateway answers with for clients', async () => {
      app = await createTestApp({ CORS_ORIGINS: 'https://app.example.com' });
      const exposed = String(
        (
          await app.inject({
            method: 'GET',
            url: '/health',
            headers: { origin: 'https://app.example.com' },
          })
        ).headers['access-control-expose-headers'],
      )
        .toLowerCase()
        .split(/\s*,\s*/);
      for (const header of [
        'x-correlation-id',
        'retry-after',
        'location',
        'cache-status',
        'age',
        'idempotent-replayed',
        'preference-applied',
        'deprecation',
        'sunset',
        'link',
        'x-ratelimit-remaining',
      ]) {
        expect(exposed).toContain(header);
      }
    });
  });

  describe('bodies', () => {
    it('answers 413 over BODY_LIMIT_BYTES, in the common shape', async () => {
      app = await createTestApp({ BODY_LIMIT_BYTES: '2048' });
      const response = await app.inject({
        method: 'POST',
        url: '/events',
        headers: json,
        payload: JSON.stringify({ name: 'x', userId: '1', details: 'd'.repeat(3000) }),
      });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toMatchObject({
        statusCode: 413,
        error: 'Payload Too Large',
        requestId: expect.any(String),
      });
    });

    it.each([
      ['__proto__', '{"name":"x","userId":"1","__proto__":{"isAdmin":true}}'],
      [
        'constructor.prototype',
        '{"name":"x","userId":"1","constructor":{"prototype":{"isAdmin":true}}}',
      ],
    ])('answers 400 for a %s key and reaches no upstream', async (_, payload) => {
      app = await createTestApp();
      const response = await app.inject({ method: 'POST', url: '/events', headers: json, payload });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ statusCode: 400, requestId: expect.any(String) });
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });
  });

  describe('rate limiting', () => {
    it('answers 429 with Retry-After and the common body past RATE_LIMIT_MAX', async () => {
      app = await createTestApp({ RATE_LIMIT_MAX: '3', RATE_LIMIT_TTL_MS: '60000' });
      nock(UPSTREAM).get('/getUserById/1').times(3).reply(200, upstreamUser(1));
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1)
        statuses.push((await app.inject({ method: 'GET', url: '/users/1' })).statusCode);
      const limited = await app.inject({ method: 'GET', url: '/users/1' });
      expect(statuses).toEqual([200, 200, 200]);
      expect(limited.statusCode).toBe(429);
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.json()).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        code: 'RATE_LIMITED',
        message: 'Too many requests: retry after the number of seconds in Retry-After',
        requestId: limited.headers['x-correlation-id'],
      });
    });

    it('gives each client one budget across the API: aliases and other routes share it', async () => {
      app = await createTestApp({ RATE_LIMIT_MAX: '3' });
      nock(UPSTREAM)
        .get('/getUsers')
        .times(2)
        .reply(200, [upstreamUser(1)])
        .get('/getEvents')
        .reply(200, []);
      const statuses: number[] = [];
      for (const url of ['/users', '/getUsers', '/events', '/getEvents', '/users/1']) {
        const response = await app.inject({ method: 'GET', url });
        statuses.push(response.statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
    });

    it('counts down one remaining budget across routes', async () => {
      app = await createTestApp({ RATE_LIMIT_MAX: '5' });
      nock(UPSTREAM).get('/getUsers').times(2).reply(200, []);
      const first = await app.inject({ method: 'GET', url: '/users' });
      const second = await app.inject({ method: 'GET', url: '/getUsers' });
      expect(first.headers['x-ratelimit-remaining']).toBe('4');
      expect(second.headers['x-ratelimit-remaining']).toBe('3');
    });

    it.each([
      ['an unknown path (404)', { method: 'GET', url: '/nope' }, 404],
      ['a wrong method (405)', { method: 'DELETE', url: '/events/1' }, 405],
      [
        'a body that is not JSON (415)',
        { method: 'POST', url: '/events', headers: { 'content-type': 'text/plain' }, payload: 'x' },
        415,
      ],
      [
        'malformed JSON (400)',
        {
          method: 'POST',
          url: '/events',
          headers: { 'content-type': 'application/json' },
          payload: '{',
        },
        400,
      ],
      ['the docs', { method: 'GET', url: '/docs-json' }, 200],
    ] as const)(
      'counts %s against the budget, and answers 429 once it is spent',
      async (_what, request, status) => {
        app = await createTestApp({ RATE_LIMIT_MAX: '3' });
        const statuses: number[] = [];
        for (let i = 0; i < 5; i += 1) statuses.push((await app.inject(request)).statusCode);
        expect(statuses).toEqual([status, status, status, 429, 429]);
      },
    );

    it('never limits /health, /ready or /metrics', async () => {
      app = await createTestApp({ RATE_LIMIT_MAX: '2' });
      for (const url of ['/health', '/ready', '/metrics']) {
        for (let i = 0; i < 5; i += 1)
          expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
      }
    });

    it('ignores X-Forwarded-For unless TRUST_PROXY says to trust it', async () => {
      app = await createTestApp({ RATE_LIMIT_MAX: '1' });
      nock(UPSTREAM).get('/getUserById/1').reply(200, upstreamUser(1));
      const from = (ip: string) =>
        app!.inject({ method: 'GET', url: '/users/1', headers: { 'x-forwarded-for': ip } });
      expect((await from('203.0.113.1')).statusCode).toBe(200);
      expect((await from('203.0.113.2')).statusCode).toBe(429);
    });

    it('limits each forwarded client on its own behind a trusted proxy', async () => {
      app = await createTestApp({ RATE_LIMIT_MAX: '1', TRUST_PROXY: '127.0.0.1' });
      nock(UPSTREAM).get('/getUserById/1').times(2).reply(200, upstreamUser(1));
      const from = (ip: string) =>
        app!.inject({ method: 'GET', url: '/users/1', headers: { 'x-forwarded-for': ip } });
      expect((await from('203.0.113.1')).statusCode).toBe(200);
      expect((await from('203.0.113.2')).statusCode).toBe(200);
      expect((await from('203.0.113.1')).statusCode).toBe(429);
    });
  });

  describe('no leaks', () => {
    it('answers 502 for an upstream body over the size cap instead of buffering it', async () => {
      app = await createTestApp();
      nock(UPSTREAM)
        .get('/getEvents')
        .reply(200, `[${'"x",'.repeat(300_000)}"x"]`);
      const response = await app.inject({ method: 'GET', url: '/events' });
      expect(response.statusCode).toBe(502);
      expect(response.json().message).toBe('The Event API answered with a malformed body');
    });
  });
});
