import { loadConfig } from '../common/config/gateway-config';
import { optionalParts, withoutCredentials } from './start-up-summary';

describe('the start-up summary', () => {
  it('says that every optional part is off, and how to turn it on, by default', () => {
    expect(optionalParts(loadConfig({}))).toEqual([
      expect.stringMatching(/^Redis: off/),
      expect.stringMatching(/^Delivery worker: off \(no create queue without REDIS_URL\)/),
      expect.stringMatching(/^Admin routes: off \(set ADMIN_TOKEN/),
      expect.stringMatching(/^Tracing export: off .*OTEL_EXPORTER_OTLP_ENDPOINT/),
    ]);
  });

  it('names what runs with Redis, a token and an OTLP endpoint, and never a secret', () => {
    const token = 'a'.repeat(40);
    const lines = optionalParts(
      loadConfig({
        REDIS_URL: 'redis://user:S3cretPw@redis.internal:6379/0',
        ADMIN_TOKEN: token,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      }),
    );
    expect(lines).toEqual([
      'Redis: redis://***:***@redis.internal:6379/0 (rate limits, read cache, Idempotency-Keys and the create queue shared by every replica)',
      'Delivery worker: on in this process (EVENT_DELIVERY_WORKER=true)',
      'Admin routes: on at /admin (Authorization: Bearer <ADMIN_TOKEN>)',
      'Tracing export: OTLP http/protobuf to http://collector:4318',
    ]);
    expect(lines.join('\n')).not.toContain('S3cretPw');
    expect(lines.join('\n')).not.toContain(token);
  });

  it('leaves a URL without credentials as it is', () => {
    expect(withoutCredentials('http://localhost:3001')).toBe('http://localhost:3001');
  });
});
