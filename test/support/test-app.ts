import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter } from '../../src/app.setup';
import { UPSTREAM } from '../../src/testing/upstream-url';

/**
 * Settings every e2e app starts from: the nock-stubbed upstream, no pause before a retry and no
 * drain delay on close (the shutdown test sets one).
 */
const TEST_ENV = {
  NODE_ENV: 'test',
  EVENT_API_BASE_URL: UPSTREAM,
  UPSTREAM_RETRY_DELAY_MS: '0',
  SHUTDOWN_DRAIN_MS: '0',
};

/**
 * The real application (Fastify adapter, global pipes and filter, Swagger) as main.ts builds it,
 * with `env` applied while its configuration is read. Close it with `app.close()`.
 */
export async function createTestApp(
  env: Record<string, string> = {},
): Promise<NestFastifyApplication> {
  const overrides: Record<string, string> = { ...TEST_ENV, ...env };
  const previous = Object.fromEntries(Object.keys(overrides).map((key) => [key, process.env[key]]));
  Object.assign(process.env, overrides);
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter());
    configureApp(app);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app;
  } finally {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** Lets pending I/O callbacks and promise jobs run, without waiting on any timer. */
export function flushIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
