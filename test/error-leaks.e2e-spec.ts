import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Writable } from 'node:stream';
import { EventsService } from '../src/events/events.service';
import { createTestApp } from './support/test-app';

describe('unknown errors (e2e)', () => {
  let app: NestFastifyApplication | undefined;

  afterEach(async () => {
    await app?.close();
  });

  it('answers an unknown error with a generic 500 and logs it with the correlation id', async () => {
    const lines: string[] = [];
    const logs = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    app = await createTestApp(
      { NODE_ENV: 'production' },
      {
        logs,
        override: (builder) =>
          builder.overrideProvider(EventsService).useValue({
            getEvents: () =>
              Promise.reject(new TypeError('secret token abc123 at /srv/internal.ts:42')),
          }),
      },
    );
    const response = await app.inject({
      method: 'GET',
      url: '/events',
      headers: { 'x-correlation-id': 'leak-1' },
    });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      code: 'INTERNAL_ERROR',
      message: 'Internal server error',
      requestId: 'leak-1',
    });
    const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.level === 50);
    expect(logged).toMatchObject({ correlationId: 'leak-1' });
    expect(JSON.stringify(logged)).toContain('secret token abc123');
  });
});
