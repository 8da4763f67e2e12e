import nock from 'nock';
import { ShutdownState } from '../src/health/shutdown-state';
import { guardUpstream, UPSTREAM, upstreamUser } from '../src/testing/nock-upstream';
import { CircuitBreakerRegistry } from '../src/circuit-breaker';
import { READ_BREAKER, WRITE_BREAKER } from '../src/upstream/upstream-breakers';
import { failCalls } from './support/breakers';
import { createTestApp, flushIo, useTestApp } from './support/test-app';

describe('health and readiness (e2e)', () => {
  const upstream = guardUpstream();
  const gateway = useTestApp();

  afterEach(() => upstream.assertNoUnmatchedRequests());

  const get = (url: string) => gateway.app.inject({ method: 'GET', url });
  const openBreaker = (name: string) => {
    const breaker = gateway.app.get(CircuitBreakerRegistry).get(name);
    failCalls(breaker, name === READ_BREAKER ? 20 : 3);
    return breaker;
  };

  describe('GET /health (liveness)', () => {
    it('is up', async () => {
      await gateway.start();
      const response = await get('/health');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ status: 'ok', details: { heap: { status: 'up' } } });
    });

    it('stays up with every breaker open: an upstream outage must not restart pods', async () => {
      await gateway.start({ READINESS_FAIL_ON_OPEN_CIRCUIT: 'true' });
      openBreaker(READ_BREAKER);
      openBreaker(WRITE_BREAKER);
      expect((await get('/health')).statusCode).toBe(200);
    });
  });

  describe('GET /ready (readiness)', () => {
    it('is up and lists every breaker while all are closed', async () => {
      await gateway.start();
      const response = await get('/ready');
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.status).toBe('ok');
      expect(body.details.circuitBreakers).toEqual({
        status: 'up',
        breakers: {
          [READ_BREAKER]: {
            state: 'CLOSED',
            failuresInWindow: 0,
            callsInWindow: 0,
            retryAfterSeconds: 0,
            policy: '50% of at least 20 calls within 10000 ms',
          },
          [WRITE_BREAKER]: {
            state: 'CLOSED',
            failuresInWindow: 0,
            callsInWindow: 0,
            retryAfterSeconds: 0,
            policy: '3 failures within 30000 ms',
          },
        },
      });
    });

    it('is degraded but still ready (200) with an OPEN breaker', async () => {
      await gateway.start();
      openBreaker(WRITE_BREAKER);
      const response = await get('/ready');
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.status).toBe('degraded');
      expect(body.details.circuitBreakers.status).toBe('degraded');
      expect(body.details.circuitBreakers.breakers[WRITE_BREAKER]).toMatchObject({
        state: 'OPEN',
        failuresInWindow: 3,
        retryAfterSeconds: expect.any(Number),
      });
      expect(
        body.details.circuitBreakers.breakers[WRITE_BREAKER].retryAfterSeconds,
      ).toBeGreaterThanOrEqual(9);
    });

    it('fails with 503 for an OPEN breaker when READINESS_FAIL_ON_OPEN_CIRCUIT=true', async () => {
      await gateway.start({ READINESS_FAIL_ON_OPEN_CIRCUIT: 'true' });
      openBreaker(WRITE_BREAKER);
      const response = await get('/ready');
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({
        status: 'error',
        error: { circuitBreakers: { status: 'down' } },
      });
    });

    it('is degraded, not failed, for a HALF_OPEN breaker even with READINESS_FAIL_ON_OPEN_CIRCUIT=true', async () => {
      await gateway.start({ READINESS_FAIL_ON_OPEN_CIRCUIT: 'true' });
      openBreaker(WRITE_BREAKER);
      gateway.clock.advance(10_000);
      const response = await get('/ready');
      expect(response.statusCode).toBe(200);
      expect(response.json().details.circuitBreakers.breakers[WRITE_BREAKER].state).toBe(
        'HALF_OPEN',
      );
      expect(response.json().status).toBe('degraded');
    });
  });

  describe('graceful shutdown', () => {
    it('fails readiness first, lets the in-flight request finish, then refuses connections', async () => {
      // The drain only has to outlast one local readiness request; 1.5 s leaves room on a busy machine.
      // Its own app: the test closes it itself.
      const app = await createTestApp({ SHUTDOWN_DRAIN_MS: '1500' });
      await app.listen(0, '127.0.0.1');
      const base = await app.getUrl();
      let answerUpstream: (() => void) | undefined;
      nock(UPSTREAM)
        .get('/getUserById/1')
        .reply((_uri, _body, callback) => {
          answerUpstream = () => callback(null, [200, upstreamUser(1)]);
        });

      const events: string[] = [];
      const slow = fetch(`${base}/users/1`).then((response) => {
        events.push(`slow request ${response.status}`);
        return response;
      });
      while (!answerUpstream) await flushIo();

      const shutdown = app.get(ShutdownState);
      const closing = app.close().then(() => events.push('closed'));
      while (!shutdown.isShuttingDown) await flushIo();
      const ready = await fetch(`${base}/ready`);
      events.push(`ready ${ready.status}`);
      expect(((await ready.json()) as any).error.lifecycle).toEqual({
        status: 'down',
        message: 'shutting down',
      });

      answerUpstream();
      expect(await (await slow).json()).toMatchObject({ id: '1' });
      await closing;
      expect(events).toEqual(['ready 503', 'slow request 200', 'closed']);
      await expect(fetch(`${base}/health`)).rejects.toThrow();
    });
  });
});
