import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestApp } from './support/test-app';

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
    ['get', '/users', false],
    ['get', '/getUsers', true],
    ['get', '/users/{id}', false],
    ['get', '/users/{id}/events', false],
    ['get', '/getEventsByUserId/{id}', true],
    ['get', '/events', false],
    ['get', '/getEvents', true],
    ['get', '/events/{id}', false],
    ['post', '/events', false],
    ['post', '/addEvent', true],
  ])('documents %s %s (deprecated: %s) with every upstream error', (method, path, deprecated) => {
    const op = operation(method, path);
    expect(op).toBeDefined();
    expect(Boolean(op.deprecated)).toBe(deprecated);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['429', '502', '503', '504']));
    expect(op.responses['503'].headers['Retry-After']).toBeDefined();
  });

  it('documents the 400 and 404 of routes with an id', () => {
    for (const path of [
      '/users/{id}',
      '/users/{id}/events',
      '/getEventsByUserId/{id}',
      '/events/{id}',
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
    const create = operation('post', '/events');
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

  it('serves Swagger UI from the app itself', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger-ui');
    const initializer = await app.inject({ method: 'GET', url: '/docs/swagger-ui-init.js' });
    expect(initializer.statusCode).toBe(200);
  });
});
