import { Logger } from '@nestjs/common';
import { CircuitState } from '../circuit-breaker';
import { FakeClock } from '../testing/fake-clock';
import { createCircuitBreakerRegistry, READ_BREAKER, WRITE_BREAKER } from './upstream-breakers';

describe('createCircuitBreakerRegistry', () => {
  const config = {
    resetTimeoutMs: 10_000,
    maxResetTimeoutMs: 60_000,
    halfOpenMaxProbes: 1,
    write: { failureThreshold: 3, windowMs: 30_000 },
    read: { failureRate: 0.5, minimumCalls: 20, windowMs: 10_000 },
  };

  afterEach(() => jest.restoreAllMocks());

  it('registers a rate-policy read breaker and a count-policy write breaker', () => {
    const registry = createCircuitBreakerRegistry(config, 3000, new FakeClock());
    expect(registry.snapshots().map(({ name, policy }) => ({ name, policy }))).toEqual([
      { name: READ_BREAKER, policy: '50% of at least 20 calls within 10000 ms' },
      { name: WRITE_BREAKER, policy: '3 failures within 30000 ms' },
    ]);
  });

  it('logs one warning when a breaker opens, not one per rejected call', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const registry = createCircuitBreakerRegistry(config, 3000, new FakeClock());
    const breaker = registry.get(WRITE_BREAKER);
    for (let i = 0; i < 3; i += 1) {
      const permit = breaker.tryAcquire();
      if (permit.admitted) permit.failure();
    }
    for (let i = 0; i < 10; i += 1) breaker.tryAcquire();
    expect(breaker.state).toBe(CircuitState.Open);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(
      /^Circuit "event-api.write" CLOSED -> OPEN \(failure-threshold\): 3 failures in window; rejecting calls for \d+\.\d s$/,
    );
  });
});
