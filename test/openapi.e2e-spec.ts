import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { STATUS_CODES } from 'node:http';
import { CircuitBreakerRegistry } from '../src/circuit-breaker';
import { ERROR_CODES } from '../src/common/errors/error-codes';
import { WRITE_BREAKER } from '../src/upstream/upstream-breakers';
import { HEALTH_EXAMPLES } from '../src/health/health.openapi';
import { failCalls } from './support/breakers';
import { createTestApp } from './support/test-app';

/** The structure of a JSON value: its keys (recursively) and the types of its leaves. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, shape(inner)]),
    );
  }
  return typeof value;
}

/** Every documented response of every operation: [method, path, status, response]. */
const responses = (document: any) =>
  Object.entries(document.paths).flatMap(([path, operations]: [string, any]) =>
    Object.entries(operations).flatMap(([method, op]: [string, any]) =>
      Object.entries(op.responses).map(([status, response]) => [method, path, status, response]),
    ),
  ) as [string, string, string, any][];

const exampleOf = (response: any) => {
  const content = response.content?.['application/json'];
  if (content?.example !== undefined) return [content.example];
  return Object.values(content?.examples ?? {}).map((example: any) => example.value);
};

/**
 * Checks that every documented error has an example with its status, that status's reason and a
 * known code, and that no two statuses share a body; returns how many distinct bodies there are.
 */
function checkErrorExamples(document: any): number {
  const seen = new Map<string, string>();
  for (const [method, path, status, response] of responses(document)) {
    if (Number(status) < 400 || path === '/health' || path === '/ready') continue;
    const [example] = exampleOf(response);
    const where = `${method.toUpperCase()} ${path} ${status}`;
    expect([where, example?.statusCode]).toEqual([where, Number(status)]);
    expect(Object.keys(ERROR_CODES)).toContain(example.code);
    if (Number(status) !== 503) expect(example.error).toBe(STATUS_CODES[Number(status)]);
    const body = JSON.stringify(example);
    expect([where, seen.get(body) ?? status]).toEqual([where, status]);
    seen.set(body, status);
  }
  return seen.size;
}

describe('OpenAPI document and Swagger UI (e2e)', () => {
  let app: NestFastifyApplication;
  let document: any;

  beforeAll(async () => {
    app = await createTestApp();
    const response = await app.inject({ method: 'GET', url: '/docs-json' });
    expect(response.statusCode).toBe(200);
    document = response.json();
  });
  afterAll(() => app.close());

  const operation = (method: string, path: string) => document.paths[path]?.[method];

  it.each([
    ['get', '/v1/users', false],
    ['get', '/getUsers', true],
    ['get', '/v1/users/{id}', false],
    ['get', '/v1/users/{id}/events', false],
    ['get', '/getEventsByUserId/{id}', true],
    ['get', '/v1/events', false],
    ['get', '/getEvents', true],
    ['get', '/v1/events/{id}', false],
    ['post', '/v1/events', false],
    ['post', '/addEvent', true],
  ])('documents %s %s (deprecated: %s) with every upstream error', (method, path, deprecated) => {
    const op = operation(method, path);
    expect(op).toBeDefined();
    expect(Boolean(op.deprecated)).toBe(deprecated);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['429', '502', '503', '504']));
    expect(op.responses['503'].headers['Retry-After']).toBeDefined();
  });

  it('gives Idempotency-Key no example or default, so Swagger UI never sends a fixed key', () => {
    for (const path of ['/v1/events', '/addEvent']) {
      const key = operation('post', path).parameters.find(
        (parameter: any) => parameter.name === 'Idempotency-Key',
      );
      expect(key).toBeDefined();
      expect([key.example, key.schema.example, key.schema.default]).toEqual([
        undefined,
        undefined,
        undefined,
      ]);
    }
  });

  it('documents the 400 and 404 of routes with an id', () => {
    for (const path of [
      '/v1/users/{id}',
      '/v1/users/{id}/events',
      '/getEventsByUserId/{id}',
      '/v1/events/{id}',
    ]) {
      expect(Object.keys(operation('get', path).responses)).toEqual(
        expect.arrayContaining(['200', '400', '404']),
      );
      expect(operation('get', path).parameters).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'id', in: 'path', required: true }),
        ]),
      );
    }
  });

  it('documents the create body with its rules, and the 201, 400 and 422 answers', () => {
    const create = operation('post', '/v1/events');
    expect(Object.keys(create.responses)).toEqual(
      expect.arrayContaining(['201', '400', '413', '415', '422']),
    );
    expect(Object.keys(operation('post', '/addEvent').responses)).toEqual(
      expect.arrayContaining(['200', '400', '422']),
    );
    const schema = document.components.schemas.CreateEventDto;
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'userId']));
    expect(schema.properties.name).toMatchObject({
      minLength: 1,
      maxLength: 200,
      example: expect.any(String),
    });
    expect(schema.properties.details).toMatchObject({ maxLength: 2000 });
  });

  it('documents the 503 body of an open circuit', () => {
    expect(Object.keys(document.components.schemas.CircuitOpenResponseDto.properties)).toEqual(
      expect.arrayContaining([
        'statusCode',
        'success',
        'error',
        'message',
        'retryAfter',
        'circuitBreakerState',
        'requestId',
      ]),
    );
  });

  describe('examples', () => {
    it('gives every documented error its own true example: the status, its reason and a code', () => {
      expect(checkErrorExamples(document)).toBeGreaterThanOrEqual(12);
    });

    it('documents 414 for every route with an id', () => {
      for (const path of [
        '/v1/users/{id}',
        '/v1/users/{id}/events',
        '/getEventsByUserId/{id}',
        '/v1/events/{id}',
      ]) {
        expect(operation('get', path).responses['414']).toBeDefined();
      }
    });

    it('shows health and readiness examples shaped like the real answers, not placeholders', async () => {
      const documented =
        JSON.stringify(document.paths['/health']) + JSON.stringify(document.paths['/ready']);
      expect(documented).not.toMatch(/database|redis|Could not connect/);
      const live = await app.inject({ method: 'GET', url: '/health' });
      expect(shape(live.json())).toEqual(shape(HEALTH_EXAMPLES.live));
      const ready = await app.inject({ method: 'GET', url: '/ready' });
      expect(shape(ready.json())).toEqual(shape(HEALTH_EXAMPLES.ready));
      const readyExamples = exampleOf(document.paths['/ready'].get.responses['200']);
      expect(readyExamples.map(shape)).toContainEqual(shape(ready.json()));
    });

    it('shows a degraded readiness example shaped like a real degraded answer', async () => {
      const degradedApp = await createTestApp();
      try {
        failCalls(degradedApp.get(CircuitBreakerRegistry).get(WRITE_BREAKER), 3);
        const ready = await degradedApp.inject({ method: 'GET', url: '/ready' });
        expect(ready.json().status).toBe('degraded');
        expect(shape(ready.json())).toEqual(shape(HEALTH_EXAMPLES.degraded));
      } finally {
        await degradedApp.close();
      }
    });
  });

  it('lists the /v1 paths as the primary ones, not their unversioned aliases, beside the legacy paths', () => {
    const paths = Object.keys(document.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/v1/users',
        '/v1/users/{id}',
        '/v1/users/{id}/events',
        '/v1/events',
        '/v1/events/{id}',
        '/getUsers',
        '/addEvent',
        '/health',
      ]),
    );
    for (const alias of [
      '/users',
      '/users/{id}',
      '/users/{id}/events',
      '/events',
      '/events/{id}',
    ]) {
      expect(paths).not.toContain(alias);
    }
  });

  it('has no admin routes and no bearer scheme without ADMIN_TOKEN', () => {
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/admin'))).toEqual([]);
    expect(document.components.securitySchemes ?? {}).toEqual({});
    expect((document.tags ?? []).map((tag: any) => tag.name)).not.toContain('Admin');
  });

  it('serves Swagger UI from the app itself', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger-ui');
    const initializer = await app.inject({ method: 'GET', url: '/docs/swagger-ui-init.js' });
    expect(initializer.statusCode).toBe(200);
  });
});

describe('OpenAPI document with ADMIN_TOKEN (e2e)', () => {
  const token = 'b'.repeat(40);
  let app: NestFastifyApplication;
  let document: any;

  beforeAll(async () => {
    app = await createTestApp({ ADMIN_TOKEN: token });
    document = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
  });
  afterAll(() => app.close());

  const BASE = '/admin/circuit-breakers';
  const ACTIONS = ['force-open', 'disable', 'reset'];
  const operations = (): [string, any][] => [
    [`GET ${BASE}`, document.paths[BASE]?.get],
    ...ACTIONS.map((action): [string, any] => [
      `POST ${BASE}/{name}/${action}`,
      document.paths[`${BASE}/{name}/${action}`]?.post,
    ]),
  ];

  it('documents the admin routes under the Admin tag, behind the bearer scheme', () => {
    expect(document.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque' }),
    });
    for (const [where, op] of operations()) {
      expect([where, op?.tags]).toEqual([where, ['Admin']]);
      expect([where, op.security]).toEqual([where, [{ bearer: [] }]]);
      expect(op.responses['401'].headers['WWW-Authenticate']).toBeDefined();
      expect(op.responses['429'].headers['Retry-After']).toBeDefined();
    }
  });

  it('documents 200, 401 and 429 for the list, and 200, 400, 401, 404, 414, 415 and 429 for each action, each with an example', () => {
    const [[, list], ...actions] = operations();
    expect(Object.keys(list.responses).sort()).toEqual(['200', '401', '429']);
    for (const [where, op] of actions) {
      expect([where, Object.keys(op.responses).sort()]).toEqual([
        where,
        ['200', '400', '401', '404', '414', '415', '429'],
      ]);
      expect(op.parameters).toEqual([
        expect.objectContaining({ name: 'name', in: 'path', required: true }),
      ]);
    }
    for (const [where, op] of operations()) {
      for (const [status, response] of Object.entries<any>(op.responses)) {
        expect([where, status, exampleOf(response).length]).toEqual([where, status, 1]);
      }
    }
  });

  it('gives every documented error, the admin ones included, its own true example', () => {
    checkErrorExamples(document);
    const adminBodies = new Set(
      responses(document)
        .filter(([, path, status]) => path.startsWith(BASE) && Number(status) >= 400)
        .map(([, , , response]) => JSON.stringify(exampleOf(response)[0])),
    );
    expect(adminBodies.size).toBe(6); // 400, 401, 404, 414, 415, 429
  });

  it('shows as error examples the very bodies the admin routes send', async () => {
    const examples = document.paths[`${BASE}/{name}/force-open`].post.responses;
    const send = (name: string, headers: Record<string, string> = {}, payload?: string) =>
      app.inject({
        method: 'POST',
        url: `${BASE}/${name}/force-open`,
        headers: { authorization: `Bearer ${token}`, ...headers },
        ...(payload === undefined ? {} : { payload }),
      });
    const cases: [string, Promise<{ statusCode: number; json(): any }>][] = [
      ['401', send('event-api.write', { authorization: '' })],
      ['400', send('Event-API')],
      ['404', send('event-api.search')],
      ['414', send('a'.repeat(101))],
      ['415', send('event-api.write', { 'content-type': 'text/plain' }, 'x')],
    ];
    for (const [status, answer] of cases) {
      const response = await answer;
      const withoutRequestId = (body: Record<string, unknown>) => ({ ...body, requestId: '-' });
      const real = withoutRequestId(response.json());
      const example = withoutRequestId(exampleOf(examples[status])[0]);
      expect([status, response.statusCode, real]).toEqual([status, Number(status), example]);
    }
  });
});

describe('OpenAPI document with AUTH_* (e2e)', () => {
  let app: NestFastifyApplication;
  let document: any;

  beforeAll(async () => {
    app = await createTestApp({
      // Nothing listens there: the document does not need the keys.
      AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
      AUTH_ISSUER: 'https://issuer.test/',
      AUTH_AUDIENCE: 'event-gateway',
    });
    document = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
  });
  afterAll(() => app.close());

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, item]: [string, any]) =>
      Object.entries(item).map(([method, op]): [string, any] => [`${method} ${path}`, op]),
    );

  it('declares the JWT bearer scheme', () => {
    expect(document.components.securitySchemes).toEqual({
      jwt: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
    });
  });

  it('puts every API operation behind it, with its 401, and creates with their 403; probes and docs stay open', () => {
    const open = ['get /health', 'get /ready', 'get /metrics', 'get /'];
    for (const [where, op] of operations()) {
      if (open.includes(where)) {
        expect([where, op.security]).toEqual([where, undefined]);
        continue;
      }
      expect([where, op.security]).toEqual([where, [{ jwt: [] }]]);
      const codes = exampleOf(op.responses['401']).map((example: any) => example.code);
      expect([where, codes]).toEqual([where, ['AUTHENTICATION_REQUIRED', 'INVALID_TOKEN']]);
      expect(op.responses['401'].headers['WWW-Authenticate']).toBeDefined();
    }
    for (const where of ['post /v1/events', 'post /addEvent']) {
      const op = operations().find(([name]) => name === where)?.[1];
      expect(exampleOf(op.responses['403'])).toEqual([
        expect.objectContaining({ statusCode: 403, code: 'INSUFFICIENT_SCOPE' }),
      ]);
    }
    expect(operations().filter(([, op]) => op.responses['403']).length).toBe(2);
  });

  it('gives the 401 and 403 examples the bodies the gateway really sends', () => {
    expect(checkErrorExamples(document)).toBeGreaterThanOrEqual(14);
  });
});
