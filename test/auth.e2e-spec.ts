import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import nock from 'nock';
import { guardUpstream, UPSTREAM, upstreamUser } from '../src/testing/nock-upstream';
import {
  JwksServer,
  makeKey,
  mint,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TestKey,
} from './support/jwks-server';
import { LogCapture } from './support/log-capture';
import { startRedis } from './support/redis-server';
import { createTestApp, useTestApp } from './support/test-app';

// Bearer authentication against a real JWKS server on loopback (keys made here with jose, tokens
// minted with it), the gateway's clock a FakeClock so the JWKS cooldown and key age are stepped
// through without sleeping. nock stands in for the upstream and fails any unexpected call: every
// refused request must reach nothing upstream.

const COOLDOWN_MS = 30_000; // the default AUTH_JWKS_COOLDOWN_MS
const MAX_AGE_MS = 600_000; // the default AUTH_JWKS_MAX_AGE_MS
const CHALLENGE =
  /^Bearer realm="event-gateway", error="invalid_token", error_description="[^"\\]+"$/;

describe('bearer authentication (e2e, real JWKS server)', () => {
  const upstream = guardUpstream();
  const gateway = useTestApp();
  let es256: TestKey;
  let rs256: TestKey;
  let eddsa: TestKey;
  let jwks: JwksServer;

  beforeAll(async () => {
    [es256, rs256, eddsa] = await Promise.all([
      makeKey('key-es', 'ES256'),
      makeKey('key-rs', 'RS256'),
      makeKey('key-ed', 'EdDSA'),
    ]);
  });
  beforeEach(async () => {
    jwks = await JwksServer.start([es256, rs256, eddsa]);
  });
  afterEach(async () => {
    upstream.assertNoUnmatchedRequests();
    await jwks.close();
  });

  const start = (env: Record<string, string> = {}, options = {}) =>
    gateway.start({ ...jwks.env, ...env }, options);
  const get = (app: NestFastifyApplication, url: string, token?: string) =>
    app.inject({
      method: 'GET',
      url,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
  const usersUpstream = (times = 1) =>
    nock(UPSTREAM)
      .get('/getUsers')
      .times(times)
      .reply(200, [upstreamUser(1)]);

  it('is off unless configured: without AUTH_* the API answers without a token', async () => {
    const app = await gateway.start();
    usersUpstream();
    expect((await get(app, '/users')).statusCode).toBe(200);
  });

  it.each([
    ['ES256', () => es256],
    ['RS256', () => rs256],
    ['EdDSA', () => eddsa],
  ])('lets a valid %s token through to the upstream', async (_alg, key) => {
    const app = await start();
    usersUpstream();
    const response = await get(app, '/users', await mint(key()));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual([expect.objectContaining({ id: '1' })]);
  });

  it('answers 401 with a bare challenge (no error) when no token is sent, reaching nothing upstream', async () => {
    const app = await start();
    for (const headers of [{}, { authorization: 'Basic YWxhZGRpbjpvcGVuc2VzYW1l' }]) {
      const response = await app.inject({ method: 'GET', url: '/users', headers });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="event-gateway"');
      expect(response.json()).toMatchObject({
        statusCode: 401,
        code: 'AUTHENTICATION_REQUIRED',
        requestId: response.headers['x-correlation-id'],
      });
    }
  });

  it.each(['Bearer', 'Bearer two words', 'Bearer to"ken'])(
    'refuses a malformed Authorization header (%s) with 401 invalid_token',
    async (authorization) => {
      const app = await start();
      const response = await app.inject({
        method: 'GET',
        url: '/users',
        headers: { authorization },
      });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(CHALLENGE);
      expect(response.json()).toMatchObject({
        code: 'INVALID_TOKEN',
        message: 'The Authorization header is not Bearer <token>',
      });
    },
  );

  describe('refuses a bad token with 401 invalid_token, reaching nothing upstream', () => {
    const forgeries: [string, () => Promise<string>, RegExp][] = [
      ['garbage', () => Promise.resolve('not-a-jwt'), /malformed/],
      ['three parts of garbage', () => Promise.resolve('a.b.c'), /malformed/],
      [
        'a changed payload (forged signature)',
        async () => {
          const [header, , signature] = (await mint(es256)).split('.');
          const payload = Buffer.from(
            JSON.stringify({ sub: 'mallory', iss: TEST_ISSUER, aud: TEST_AUDIENCE, exp: 2e9 }),
          ).toString('base64url');
          return `${header}.${payload}.${signature}`;
        },
        /signature is invalid/,
      ],
      [
        'another key with the same kid',
        async () => mint({ ...(await makeKey('other')), kid: 'key-es' }),
        /signature is invalid/,
      ],
      ['an expired token', () => mint(es256, { expiresIn: -120 }), /expired/],
      ['a token not valid yet', () => mint(es256, { notBeforeIn: 120 }), /not valid yet/],
      ['another issuer', () => mint(es256, { issuer: 'https://evil.test/' }), /another issuer/],
      ['another audience', () => mint(es256, { audience: 'other-api' }), /another audience/],
      ['no sub', () => mint(es256, { sub: '' }), /no sub claim/],
      [
        'alg none',
        () =>
          Promise.resolve(
            new UnsecuredJWT({ sub: 'alice', scope: 'events:write' })
              .setIssuer(TEST_ISSUER)
              .setAudience(TEST_AUDIENCE)
              .setExpirationTime('5m')
              .encode(),
          ),
        /accepted algorithm/,
      ],
      [
        'HS256 with the public key as the secret',
        async () => {
          const { publicKey } = await generateKeyPair('RS256', { extractable: true });
          const pem = await exportSPKI(publicKey);
          return new SignJWT({ scope: 'events:write' })
            .setProtectedHeader({ alg: 'HS256', kid: 'key-rs' })
            .setSubject('alice')
            .setIssuer(TEST_ISSUER)
            .setAudience(TEST_AUDIENCE)
            .setExpirationTime('5m')
            .sign(new TextEncoder().encode(pem));
        },
        /accepted algorithm/,
      ],
      ['an unknown kid', () => mint({ ...es256, kid: 'nobody-knows' }), /No key/],
    ];

    it.each(forgeries)('%s', async (_name, token, description) => {
      const app = await start();
      const presented = await token();
      const response = await get(app, '/users', presented);
      expect(response.statusCode).toBe(401);
      const challenge = String(response.headers['www-authenticate']);
      expect(challenge).toMatch(CHALLENGE);
      expect(challenge).toMatch(description);
      const body = response.json();
      expect(body).toMatchObject({ statusCode: 401, code: 'INVALID_TOKEN' });
      expect(body.message).toMatch(description);
      expect(response.body).not.toContain(presented);
    });
  });

  it('tolerates a little clock skew (AUTH_CLOCK_TOLERANCE_S), no more', async () => {
    const app = await start({ AUTH_CLOCK_TOLERANCE_S: '60' });
    usersUpstream();
    expect((await get(app, '/users', await mint(es256, { expiresIn: -30 }))).statusCode).toBe(200);
    expect((await get(app, '/users', await mint(es256, { expiresIn: -90 }))).statusCode).toBe(401);
  });

  describe('scopes', () => {
    const create = (app: NestFastifyApplication, url: string, token: string) =>
      app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: { name: 'Team offsite', userId: '1' },
      });

    it.each(['/events', '/addEvent'])(
      'POST %s without events:write is 403 insufficient_scope, reaching nothing upstream',
      async (url) => {
        const app = await start();
        const response = await create(app, url, await mint(es256, { scope: 'events:read' }));
        expect(response.statusCode).toBe(403);
        expect(response.headers['www-authenticate']).toBe(
          'Bearer realm="event-gateway", error="insufficient_scope", error_description="This operation needs the scope events:write", scope="events:write"',
        );
        expect(response.json()).toMatchObject({ statusCode: 403, code: 'INSUFFICIENT_SCOPE' });
      },
    );

    it('POST /events with events:write creates the event', async () => {
      const app = await start();
      nock(UPSTREAM).get('/getUserById/1').reply(200, upstreamUser(1));
      nock(UPSTREAM)
        .post('/addEvent')
        .reply(200, (_uri, body) => body);
      const token = await mint(es256, { scope: 'events:read events:write' });
      expect((await create(app, '/events', token)).statusCode).toBe(201);
    });

    it('AUTH_WRITE_SCOPE names the scope creates need', async () => {
      const app = await start({ AUTH_WRITE_SCOPE: 'calendar.write' });
      const response = await create(app, '/events', await mint(es256, { scope: 'events:write' }));
      expect(response.statusCode).toBe(403);
      expect(response.headers['www-authenticate']).toContain('scope="calendar.write"');
    });

    it('reads need a valid token only, no scope', async () => {
      const app = await start();
      usersUpstream();
      expect((await get(app, '/users', await mint(es256))).statusCode).toBe(200);
    });
  });

  it('asks for a token before a fresh copy in the read cache answers (with the rate limit counted)', async () => {
    const app = await start({ READ_CACHE_TTL_MS: '5000' });
    usersUpstream();
    const stored = await get(app, '/users', await mint(es256));
    expect(stored.headers['cache-status']).toBe('event-gateway; fwd=miss; stored');
    const anonymous = await get(app, '/users');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });
    const hit = await get(app, '/users', await mint(es256));
    expect(hit.statusCode).toBe(200);
    expect(hit.headers['cache-status']).toMatch(/^event-gateway; hit; /);
    expect(hit.headers['x-ratelimit-remaining']).toEqual(expect.any(String));
  });

  it('protects the legacy paths too, which keep their Deprecation headers on the 401', async () => {
    const app = await start();
    const response = await get(app, '/getUsers');
    expect(response.statusCode).toBe(401);
    expect(response.headers.deprecation).toBeDefined();
  });

  it('leaves probes, /metrics, the docs and GET / open, and the admin routes to ADMIN_TOKEN', async () => {
    const adminToken = 'a'.repeat(40);
    const app = await start({ ADMIN_TOKEN: adminToken });
    for (const url of ['/health', '/ready', '/metrics', '/docs-json', '/docs', '/']) {
      expect([url, (await get(app, url)).statusCode]).toEqual([url, 200]);
    }
    expect((await get(app, '/admin/circuit-breakers', adminToken)).statusCode).toBe(200);
    expect((await get(app, '/admin/circuit-breakers', await mint(es256))).statusCode).toBe(401);
  });

  describe('keys', () => {
    it('fetches the JWKS once at start-up and caches it', async () => {
      const app = await start();
      usersUpstream(3);
      for (let i = 0; i < 3; i += 1) {
        expect((await get(app, '/users', await mint(es256))).statusCode).toBe(200);
      }
      expect(jwks.hits).toBe(1);
    });

    it('rotates keys without a restart: a new kid is fetched once the cooldown allows', async () => {
      const app = await start();
      usersUpstream(2);
      expect((await get(app, '/users', await mint(es256))).statusCode).toBe(200);
      const next = await makeKey('key-next');
      jwks.keys = [next]; // the issuer rotates: the old key is retired, a new one signs
      // Within the cooldown after the start-up fetch, an unknown kid is refused without a fetch.
      expect((await get(app, '/users', await mint(next))).statusCode).toBe(401);
      expect(jwks.hits).toBe(1);
      gateway.clock.advance(COOLDOWN_MS);
      expect((await get(app, '/users', await mint(next))).statusCode).toBe(200);
      expect(jwks.hits).toBe(2);
      // The retired key went with that fetch.
      expect((await get(app, '/users', await mint(es256))).statusCode).toBe(401);
    });

    it('fetches at most once per cooldown however many unknown kids arrive', async () => {
      const app = await start();
      usersUpstream();
      expect((await get(app, '/users', await mint(es256))).statusCode).toBe(200);
      const flood = async () => {
        const tokens = await Promise.all(
          Array.from({ length: 50 }, (_, i) => mint({ ...es256, kid: `unknown-${i}` })),
        );
        const answers = await Promise.all(tokens.map((token) => get(app, '/users', token)));
        return answers.map((answer) => answer.statusCode);
      };
      expect(new Set(await flood())).toEqual(new Set([401]));
      expect(jwks.hits).toBe(1); // within the cooldown after the start-up fetch: none
      gateway.clock.advance(COOLDOWN_MS);
      expect(new Set(await flood())).toEqual(new Set([401]));
      expect(jwks.hits).toBe(2); // one fetch for the whole flood
      expect(new Set(await flood())).toEqual(new Set([401]));
      expect(jwks.hits).toBe(2);
    });

    it('keeps verifying with the cached keys while the JWKS is down; /ready says degraded, never down', async () => {
      const app = await start();
      usersUpstream(3);
      expect((await get(app, '/users', await mint(es256))).statusCode).toBe(200);
      expect((await get(app, '/ready')).json().details.jwks).toEqual({ status: 'up', keys: 3 });

      jwks.mode = 'fail';
      gateway.clock.advance(MAX_AGE_MS);
      // A token with an unknown kid makes the gateway ask now (and wait): the fetch fails, and the
      // token may be valid (a key rotated in during the outage), so that is a 503, not a 401.
      const unknown = await get(app, '/users', await mint({ ...es256, kid: 'rotated-in' }));
      expect(unknown.statusCode).toBe(503);
      expect(unknown.json()).toMatchObject({ code: 'AUTH_KEYS_UNAVAILABLE' });
      expect(Number(unknown.headers['retry-after'])).toBeGreaterThan(0);
      // Known keys keep working, however old.
      expect((await get(app, '/users', await mint(es256))).statusCode).toBe(200);
      const ready = await get(app, '/ready');
      expect(ready.statusCode).toBe(200);
      expect(ready.json().status).toBe('degraded');
      expect(ready.json().details.jwks).toMatchObject({ status: 'degraded', keys: 3 });
      expect(ready.json().details.jwks.message).toMatch(/HTTP 500.*known keys keep verifying/);

      jwks.mode = 'ok';
      gateway.clock.advance(COOLDOWN_MS);
      expect((await get(app, '/users', await mint(es256))).statusCode).toBe(200);
      const rotated = await get(app, '/users', await mint({ ...es256, kid: 'rotated-in' }));
      expect(rotated.statusCode).toBe(401); // the JWKS answered: that kid is truly unknown
      expect((await get(app, '/ready')).json().details.jwks.status).toBe('up');
    });

    it('gives up on a JWKS that does not answer within AUTH_JWKS_TIMEOUT_MS', async () => {
      jwks.mode = 'hang';
      const app = await start({ AUTH_JWKS_TIMEOUT_MS: '200' });
      const refused = await get(app, '/users', await mint(es256));
      expect(refused.statusCode).toBe(503);
      expect(refused.json().code).toBe('AUTH_KEYS_UNAVAILABLE');
      expect((await get(app, '/ready')).json().details.jwks).toMatchObject({
        status: 'degraded',
        message: expect.stringMatching(/^unavailable \(timed out\)/),
      });
    });

    it('starts while the JWKS is unreachable: tokens get 503 until it answers, /ready stays 200', async () => {
      jwks.mode = 'fail';
      const app = await start();
      const refused = await get(app, '/users', await mint(es256));
      expect(refused.statusCode).toBe(503);
      expect(refused.json().code).toBe('AUTH_KEYS_UNAVAILABLE');
      const ready = await get(app, '/ready');
      expect(ready.statusCode).toBe(200);
      expect(ready.json().details.jwks).toMatchObject({ status: 'degraded', keys: 0 });

      jwks.mode = 'ok';
      gateway.clock.advance(COOLDOWN_MS);
      usersUpstream();
      expect((await get(app, '/users', await mint(es256))).statusCode).toBe(200);
    });
  });

  it('puts the subject, never the token, in the log line and the SERVER span', async () => {
    const logs = new LogCapture();
    const exporter = new InMemorySpanExporter();
    const app = await start({ LOG_LEVEL: 'info' }, { logs, spanExporter: exporter });
    usersUpstream();
    const token = await mint(es256, { sub: 'ada@example.com' });
    expect((await get(app, '/users', token)).statusCode).toBe(200);
    const line = logs.lines.find((entry) => entry.route === '/users');
    expect(line).toMatchObject({ sub: 'ada@example.com', res: { statusCode: 200 } });
    const span = exporter.getFinishedSpans().find((s) => s.name === 'GET /users');
    expect(span?.attributes['user.id']).toBe('ada@example.com');
    const signature = token.split('.')[2];
    expect(logs.text).not.toContain(signature);
    expect(JSON.stringify(exporter.getFinishedSpans().map((s) => s.attributes))).not.toContain(
      signature,
    );
  });

  describe('rate limit', () => {
    it('shares one subject’s budget across replicas on one Redis', async () => {
      const redis = await startRedis();
      const replicas: NestFastifyApplication[] = [];
      try {
        for (let i = 0; i < 2; i += 1) {
          replicas.push(
            await createTestApp({ ...jwks.env, REDIS_URL: redis.url, RATE_LIMIT_MAX: '2' }),
          );
        }
        const [a, b] = replicas;
        usersUpstream(3);
        const alice = await mint(es256, { sub: 'alice' });
        expect((await get(a, '/users', alice)).statusCode).toBe(200);
        expect((await get(b, '/users', alice)).statusCode).toBe(200);
        expect((await get(a, '/users', alice)).statusCode).toBe(429);
        expect((await get(b, '/users', alice)).statusCode).toBe(429);
        expect((await get(b, '/users', await mint(es256, { sub: 'bob' }))).statusCode).toBe(200);
      } finally {
        await Promise.all(replicas.map((replica) => replica.close()));
        await redis.stop();
      }
    }, 30_000);

    it('gives each subject its own budget, even from one address', async () => {
      const app = await start({ RATE_LIMIT_MAX: '2' });
      usersUpstream(4);
      const alice = await mint(es256, { sub: 'alice' });
      const bob = await mint(es256, { sub: 'bob' });
      expect((await get(app, '/users', alice)).statusCode).toBe(200);
      expect((await get(app, '/users', alice)).statusCode).toBe(200);
      const limited = await get(app, '/users', alice);
      expect(limited.statusCode).toBe(429);
      expect(limited.json().code).toBe('RATE_LIMITED');
      expect((await get(app, '/users', bob)).statusCode).toBe(200);
      expect((await get(app, '/users', bob)).statusCode).toBe(200);
    });

    it('counts one subject once, whatever tokens it presents', async () => {
      const app = await start({ RATE_LIMIT_MAX: '2' });
      usersUpstream(2);
      for (let i = 0; i < 2; i += 1) {
        expect((await get(app, '/users', await mint(rs256, { sub: 'carol' }))).statusCode).toBe(
          200,
        );
      }
      expect((await get(app, '/users', await mint(eddsa, { sub: 'carol' }))).statusCode).toBe(429);
    });

    it('counts refused tokens against the client address: a flood of bad tokens ends in 429', async () => {
      const app = await start({ RATE_LIMIT_MAX: '2' });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        statuses.push((await get(app, '/users', 'not-a-token')).statusCode);
      }
      expect(statuses).toEqual([401, 401, 429]);
    });
  });
});
