import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway } from './support/built-servers';
import { startRedis } from './support/redis-server';

// What only some deployments need is loaded only by them: without REDIS_URL the gateway does not
// load BullMQ or ioredis (together ~25 MiB and ~150 ms of start-up), with it it does; without
// AUTH_* it does not load jose.

const PRELOAD = join(__dirname, 'support', 'report-loaded-packages.cjs');

async function loadedPackages(name: string, env: Record<string, string>): Promise<string[]> {
  const server = await startGateway(
    name,
    { EVENT_API_BASE_URL: 'http://127.0.0.1:9', NODE_OPTIONS: `--require ${PRELOAD}`, ...env },
    '/health',
  );
  await server.kill('SIGTERM');
  const line = /^LOADED_PACKAGES (.*)$/m.exec(readFileSync(server.log, 'utf8'))?.[1];
  if (line === undefined) throw new Error(`no LOADED_PACKAGES line in ${server.log}`);
  return line.split(',');
}

describe('start-up footprint (e2e, real processes)', () => {
  it('loads neither BullMQ nor ioredis without REDIS_URL', async () => {
    const packages = await loadedPackages('footprint-memory', {});
    expect(packages).toContain('@nestjs/core');
    expect(packages).not.toContain('bullmq');
    expect(packages).not.toContain('@nestjs/bullmq');
    expect(packages).not.toContain('ioredis');
    expect(packages).not.toContain('jose');
  }, 60_000);

  it('loads jose with AUTH_* (bearer authentication needs it)', async () => {
    const packages = await loadedPackages('footprint-auth', {
      // Nothing listens there: the gateway starts anyway, its readiness says the JWKS is degraded.
      AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
      AUTH_ISSUER: 'https://issuer.test/',
      AUTH_AUDIENCE: 'event-gateway',
    });
    expect(packages).toContain('jose');
  }, 60_000);

  it('loads both with REDIS_URL (the queue and shared state need them)', async () => {
    const redis = await startRedis();
    try {
      const packages = await loadedPackages('footprint-redis', { REDIS_URL: redis.url });
      expect(packages).toContain('bullmq');
      expect(packages).toContain('ioredis');
    } finally {
      await redis.stop();
    }
  }, 60_000);
});
