import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fc from 'fast-check';
import nock from 'nock';
import { guardUpstream, UPSTREAM } from '../src/testing/nock-upstream';
import { createTestApp } from './support/test-app';

// Thousands of hostile inputs: every one must get a clear 4xx in the common shape, never a 5xx,
// and nothing invalid may reach the upstream. The upstream is stubbed only for valid ids (answering
// "unknown", so valid input ends in 404/422); anything else reaching it is an unmatched call that
// fails the suite, and addEvent must never be called at all.

const VALID_ID = /^[A-Za-z0-9_-]{1,64}$/;
const HOSTILE_STRINGS = [
  '',
  ' ',
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  '\u0000',
  "' OR 1=1 --",
  '"; DROP TABLE events; --',
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '\u202e\u0301\ud83d\ude00',
  '\ud800',
  'a'.repeat(65),
  'x'.repeat(5000),
  '__proto__',
  'constructor',
  '1 ',
  '1/2',
  '1?x=2',
  '1#frag',
];

const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 30 }),
);

/** JSON text for a body, including keys JSON.stringify would drop or that poison prototypes. */
const hostileBody: fc.Arbitrary<string> = fc.oneof(
  fc
    .record(
      {
        name: hostileValue,
        userId: hostileValue,
        details: hostileValue,
        id: hostileValue,
        extra: hostileValue,
      },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body)),
  fc
    .tuple(fc.constantFrom('__proto__', 'constructor', 'prototype'), fc.jsonValue())
    .map(([key, value]) => `{"name":"x","userId":"1","${key}":${JSON.stringify(value) ?? 'null'}}`),
  fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null'),
  fc.string({ maxLength: 60 }),
);

const ALLOWED_BODY_STATUSES = [400, 413, 415, 422];

/** Thousands of requests: generous on a busy 2-core machine (they take a few seconds here). */
const FUZZ_TIMEOUT_MS = 60_000;

describe('fuzzing hostile input (e2e)', () => {
  const upstream = guardUpstream();
  let app: NestFastifyApplication;
  let addEventCalls: number;

  beforeAll(async () => {
    app = await createTestApp({ RATE_LIMIT_MAX: '1000000' });
  });
  beforeEach(() => {
    addEventCalls = 0;
    nock(UPSTREAM)
      .persist()
      .get(/^\/getUserById\/[A-Za-z0-9_-]{1,64}$/)
      .reply(200, '');
    nock(UPSTREAM)
      .persist()
      .get(/^\/getEventById\/[A-Za-z0-9_-]{1,64}$/)
      .reply(200, '');
    nock(UPSTREAM)
      .persist()
      .post('/addEvent')
      .reply(() => {
        addEventCalls += 1;
        return [200, { success: true }];
      });
  });
  afterEach(() => upstream.assertNoUnmatchedRequests());
  afterAll(() => app.close());

  function expectClientError(response: { statusCode: number; json(): any }, allowed: number[]) {
    expect(allowed).toContain(response.statusCode);
    const body = response.json();
    expect(body).toMatchObject({
      statusCode: response.statusCode,
      error: expect.any(String),
      requestId: expect.any(String),
    });
    expect(typeof body.message === 'string' || Array.isArray(body.message)).toBe(true);
  }

  it(
    'answers every hostile POST body with 400/413/415/422 and never writes upstream',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('/events', '/addEvent'),
          hostileBody,
          async (url, payload) => {
            const response = await app.inject({
              method: 'POST',
              url,
              headers: { 'content-type': 'application/json' },
              payload,
            });
            expectClientError(response, ALLOWED_BODY_STATUSES);
          },
        ),
        { numRuns: 1500 },
      );
      expect(addEventCalls).toBe(0);
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'answers every POST with a non-JSON content type with 415, whatever the body',
    async () => {
      const contentType = fc.oneof(
        fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/jsonx',
          'application/xml',
        ),
        fc
          .string({ maxLength: 30 })
          .filter(
            (value) => !/^application\/json\s*(;|$)/i.test(value) && /^[\x21-\x7e]+$/.test(value),
          ),
      );
      await fc.assert(
        fc.asyncProperty(contentType, fc.string({ maxLength: 50 }), async (type, payload) => {
          const response = await app.inject({
            method: 'POST',
            url: '/events',
            headers: { 'content-type': type },
            payload,
          });
          expectClientError(response, [400, 415]);
        }),
        { numRuns: 300 },
      );
      expect(addEventCalls).toBe(0);
    },
    FUZZ_TIMEOUT_MS,
  );

  it.each(['/users/:id', '/users/:id/events', '/getEventsByUserId/:id', '/events/:id'])(
    'answers every hostile id in %s with 400 (invalid), 404 (valid but unknown) or 414 (too long)',
    async (route) => {
      await fc.assert(
        fc.asyncProperty(hostileString, async (id) => {
          // Lone surrogates cannot be percent-encoded; a client would send U+FFFD in their place.
          const url = route.replace(':id', encodeURIComponent(id.toWellFormed()));
          const response = await app.inject({ method: 'GET', url });
          expectClientError(response, VALID_ID.test(id) ? [404] : [400, 404, 414]);
        }),
        { numRuns: 500 },
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});
