import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import nock from 'nock';
import { guardUpstream, UPSTREAM, upstreamEvent, upstreamUser } from '../src/testing/nock-upstream';
import { createTestApp } from './support/test-app';

// The OpenAPI document held against real answers: every documented operation is called once on
// its happy path (the upstream stubbed), and its answer must match what the document declares:
// a documented status, every header declared required for it, no header of the gateway's that
// the document leaves out, and no body field the schema does not name.

/** Headers the gateway itself sets on an answer (the rest are the framework's or standard). */
const GATEWAY_HEADERS = [
  'x-correlation-id',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'cache-status',
  'age',
  'location',
  'idempotent-replayed',
  'preference-applied',
  'deprecation',
  'link',
  'sunset',
  'retry-after',
  'allow',
];

describe('the OpenAPI document against real answers (e2e)', () => {
  const upstream = guardUpstream();
  let app: NestFastifyApplication;
  let document: any;

  beforeAll(async () => {
    app = await createTestApp({ READ_CACHE_TTL_MS: '0', READ_CACHE_STALE_IF_ERROR_MS: '0' });
    document = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
  });
  afterAll(() => app.close());

  beforeEach(() => {
    nock(UPSTREAM)
      .persist()
      .get('/getUsers')
      .reply(200, [upstreamUser(1, ['1'])])
      .get('/getUserById/1')
      .reply(200, upstreamUser(1, ['1']))
      .get('/getEvents')
      .reply(200, [upstreamEvent(1, 1)])
      .get('/getEventById/1')
      .reply(200, upstreamEvent(1, 1))
      .post('/addEvent')
      .reply(200, { success: true });
  });
  afterEach(() => {
    upstream.assertNoUnmatchedRequests();
    nock.cleanAll();
  });

  /** A schema with its `$ref`s resolved. */
  const resolve = (schema: any): any =>
    schema?.$ref ? resolve(document.components.schemas[schema.$ref.split('/').pop()]) : schema;

  /** Body fields the schema does not name (recursively through arrays and objects). */
  function undeclared(value: unknown, schema: any, at = 'body'): string[] {
    const resolved = resolve(schema);
    if (!resolved) return [];
    if (Array.isArray(value)) {
      return value.flatMap((item, i) => undeclared(item, resolved.items, `${at}[${i}]`));
    }
    if (value === null || typeof value !== 'object' || !resolved.properties) return [];
    return Object.entries(value).flatMap(([key, inner]) =>
      key in resolved.properties
        ? undeclared(inner, resolved.properties[key], `${at}.${key}`)
        : [`${at}.${key}`],
    );
  }

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, ops]: [string, any]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, op: op as any })),
    );

  it('documents every operation it answers with the status, headers and fields it answers', async () => {
    const checked: string[] = [];
    for (const { path, method, op } of operations()) {
      const url = path.replace('{id}', '1');
      const answer = await app.inject({
        method: method.toUpperCase() as 'GET' | 'POST',
        url,
        ...(method === 'post'
          ? {
              headers: { 'content-type': 'application/json' },
              payload: { name: 'Offsite', userId: '1' },
            }
          : {}),
      });
      const where = `${method.toUpperCase()} ${path} ${answer.statusCode}`;
      const documented = op.responses[String(answer.statusCode)];
      expect([where, documented !== undefined]).toEqual([where, true]);

      const declared = Object.fromEntries(
        Object.entries(documented.headers ?? {}).map(([name, header]) => [
          name.toLowerCase(),
          header,
        ]),
      ) as Record<string, { required?: boolean }>;
      const missing = Object.entries(declared)
        .filter(([name, header]) => header.required && answer.headers[name] === undefined)
        .map(([name]) => name);
      expect([where, missing]).toEqual([where, []]);
      const undocumented = GATEWAY_HEADERS.filter(
        (name) => answer.headers[name] !== undefined && !(name in declared),
      );
      expect([where, undocumented]).toEqual([where, []]);

      const schema = documented.content?.['application/json']?.schema;
      if (schema && String(answer.headers['content-type']).startsWith('application/json')) {
        expect([where, undeclared(answer.json(), schema)]).toEqual([where, []]);
      }
      checked.push(where);
    }
    // Every route of the public API was reached, not just some.
    expect(checked).toEqual(
      expect.arrayContaining([
        'GET / 200',
        'GET /v1/users 200',
        'GET /v1/users/{id} 200',
        'GET /v1/users/{id}/events 200',
        'GET /v1/events 200',
        'GET /v1/events/{id} 200',
        'POST /v1/events 201',
        'GET /getUsers 200',
        'GET /getEventsByUserId/{id} 200',
        'GET /getEvents 200',
        'POST /addEvent 200',
        'GET /health 200',
        'GET /ready 200',
        'GET /metrics 200',
      ]),
    );
  });
});
