import type { ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FakeClock } from '../testing/fake-clock';
import { testConfig } from '../testing/test-config';
import { ClientRateLimit } from './client-rate-limit';
import { InMemoryThrottlerStorage } from './in-memory-throttler.storage';

const request = () =>
  ({ id: 'req-1', ip: '10.0.0.1', routeOptions: { url: '/users' } }) as unknown as FastifyRequest;

function reply() {
  const headers: Record<string, string> = {};
  const fake = {
    headers,
    header(name: string, value: string) {
      headers[name] = value;
      return fake;
    },
  };
  return fake;
}

const config = testConfig({ RATE_LIMIT_MAX: '2', RATE_LIMIT_TTL_MS: '60000' });

describe('ClientRateLimit', () => {
  it('counts at once, with no promise, when the counters are in memory; 429 past the limit', () => {
    const limit = new ClientRateLimit(new InMemoryThrottlerStorage(new FakeClock(0)), config);
    const first = reply();
    expect(limit.check(request(), first as unknown as FastifyReply)).toBeUndefined();
    expect(first.headers).toEqual({
      'x-ratelimit-limit': '2',
      'x-ratelimit-remaining': '1',
      'x-ratelimit-reset': '60',
    });
    void limit.check(request(), reply() as unknown as FastifyReply);
    const refused = limit.check(request(), reply() as unknown as FastifyReply);
    expect(refused).toMatchObject({ status: 429, headers: { 'retry-after': '60' } });
  });

  it('waits for a storage that must be asked (Redis), with the same verdicts', async () => {
    const memory = new InMemoryThrottlerStorage(new FakeClock(0));
    const asked: ThrottlerStorage = { increment: (...args) => memory.increment(...args) };
    const limit = new ClientRateLimit(asked, config);
    const first = reply();
    const pending = limit.check(request(), first as unknown as FastifyReply);
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).resolves.toBeUndefined();
    expect(first.headers['x-ratelimit-remaining']).toBe('1');
    await limit.check(request(), reply() as unknown as FastifyReply);
    await expect(limit.check(request(), reply() as unknown as FastifyReply)).resolves.toMatchObject(
      {
        status: 429,
      },
    );
  });
});
