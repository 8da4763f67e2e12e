import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentVariables, InvalidEnvironmentError, validateEnvironment } from './environment';
import { loadConfig, parseTrustProxy } from './gateway-config';

describe('validateEnvironment', () => {
  it('fills in every documented default', () => {
    expect({ ...validateEnvironment({}) }).toEqual({
      PORT: 3000,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      EVENT_API_BASE_URL: 'http://localhost:3001',
      UPSTREAM_TIMEOUT_MS: 3000,
      UPSTREAM_MAX_CONCURRENCY: 64,
      UPSTREAM_RETRY_DELAY_MS: 100,
      UPSTREAM_COALESCE_READS: true,
      UPSTREAM_HEDGE_READS: true,
      UPSTREAM_HEDGE_PERCENTILE: 95,
      UPSTREAM_HEDGE_MIN_DELAY_MS: 50,
      UPSTREAM_HEDGE_MAX_DELAY_MS: 1000,
      UPSTREAM_RETRY_BUDGET_RATIO: 0.1,
      UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND: 5,
      UPSTREAM_RETRY_BUDGET_WINDOW_MS: 10000,
      UPSTREAM_ADAPTIVE_CONCURRENCY: true,
      UPSTREAM_CONCURRENCY_LIMIT_INITIAL: '',
      UPSTREAM_CONCURRENCY_LIMIT_MIN: 10,
      UPSTREAM_CONCURRENCY_LIMIT_MAX: 500,
      UPSTREAM_CONCURRENCY_QUEUE_SIZE: 100,
      UPSTREAM_CONCURRENCY_QUEUE_TIMEOUT_MS: 250,
      CIRCUIT_BREAKER_FAILURE_THRESHOLD: 3,
      CIRCUIT_BREAKER_FAILURE_WINDOW_MS: 30000,
      CIRCUIT_BREAKER_RESET_TIMEOUT_MS: 10000,
      CIRCUIT_BREAKER_MAX_RESET_TIMEOUT_MS: 60000,
      CIRCUIT_BREAKER_HALF_OPEN_MAX_PROBES: 1,
      CIRCUIT_BREAKER_READ_FAILURE_RATE: 0.5,
      CIRCUIT_BREAKER_READ_MINIMUM_CALLS: 20,
      CIRCUIT_BREAKER_READ_WINDOW_MS: 10000,
      READINESS_FAIL_ON_OPEN_CIRCUIT: false,
      SHUTDOWN_DRAIN_MS: 5000,
      SHUTDOWN_TIMEOUT_MS: 10000,
      BODY_LIMIT_BYTES: 16384,
      CORS_ORIGINS: '',
      RATE_LIMIT_MAX: 300,
      RATE_LIMIT_TTL_MS: 60000,
      TRUST_PROXY: 'false',
      REDIS_URL: '',
      REDIS_COMMAND_TIMEOUT_MS: 250,
      REDIS_QUEUE_TIMEOUT_MS: 2000,
      READ_CACHE_TTL_MS: 5000,
      READ_CACHE_STALE_IF_ERROR_MS: 3600000,
      READ_CACHE_MAX_ENTRIES: 10000,
      IDEMPOTENCY_TTL_MS: 86400000,
      EVENT_DELIVERY_WORKER: true,
      EVENT_DELIVERY_MAX_AGE_MS: 86400000,
      EVENT_DELIVERY_CONCURRENCY: 4,
      EVENT_DELIVERY_MAX_PENDING: 10000,
      EVENT_DELIVERY_LOCK_MS: 30000,
      HTTP_HEADERS_TIMEOUT_MS: 10000,
      HTTP_REQUEST_TIMEOUT_MS: 30000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 65000,
      LEGACY_SUNSET_AT: '',
      ADMIN_TOKEN: '',
      METRICS_TOKEN: '',
      AUTH_JWKS_URL: '',
      AUTH_ISSUER: '',
      AUTH_AUDIENCE: '',
      AUTH_WRITE_SCOPE: 'events:write',
      AUTH_CLOCK_TOLERANCE_S: 30,
      AUTH_JWKS_TIMEOUT_MS: 3000,
      AUTH_JWKS_COOLDOWN_MS: 30000,
      AUTH_JWKS_MAX_AGE_MS: 600000,
    });
  });

  it('converts numbers and booleans from strings', () => {
    const env = validateEnvironment({ PORT: '8080', READINESS_FAIL_ON_OPEN_CIRCUIT: 'true' });
    expect(env.PORT).toBe(8080);
    expect(env.READINESS_FAIL_ON_OPEN_CIRCUIT).toBe(true);
  });

  it('accepts CORS origins and proxy settings in their documented forms', () => {
    expect(() =>
      validateEnvironment({
        CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
        TRUST_PROXY: '10.0.0.0/8,127.0.0.1',
      }),
    ).not.toThrow();
    expect(() => validateEnvironment({ TRUST_PROXY: '2' })).not.toThrow();
  });

  it('treats an empty value as unset', () => {
    expect(validateEnvironment({ PORT: '' }).PORT).toBe(3000);
  });

  it('ignores variables it does not know', () => {
    expect(() => validateEnvironment({ HOME: '/root', PATH: '/bin' })).not.toThrow();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['UPSTREAM_TIMEOUT_MS', '0'],
    ['EVENT_API_BASE_URL', 'not a url'],
    ['EVENT_API_BASE_URL', 'ftp://example.com'],
    ['READINESS_FAIL_ON_OPEN_CIRCUIT', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['CIRCUIT_BREAKER_READ_FAILURE_RATE', '1.5'],
    ['CORS_ORIGINS', 'example.com'],
    ['TRUST_PROXY', 'yes please'],
    ['BODY_LIMIT_BYTES', '10'],
    ['HTTP_HEADERS_TIMEOUT_MS', '5'],
    ['REDIS_URL', 'localhost:6379'],
    ['READ_CACHE_TTL_MS', '-1'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
    ['OTEL_TRACES_SAMPLER', 'sometimes'],
    ['OTEL_TRACES_SAMPLER_ARG', '1.5'],
    ['OTEL_TRACES_EXPORTER', 'zipkin'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
    ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'grpc'],
    ['OTEL_BSP_MAX_QUEUE_SIZE', '0'],
    ['OTEL_SDK_DISABLED', 'yes'],
    ['LEGACY_SUNSET_AT', 'next year'],
    ['EVENT_DELIVERY_MAX_PENDING', '0'],
    ['EVENT_DELIVERY_MAX_PENDING', 'lots'],
  ])('stops with one line naming %s=%s', (name, value) => {
    expect(() => validateEnvironment({ [name]: value })).toThrow(InvalidEnvironmentError);
    expect(() => validateEnvironment({ [name]: value })).toThrow(
      new RegExp(`^Invalid configuration: ${name}="${value.replace('.', '\\.')}" is invalid`),
    );
  });

  it('says only what a value of the wrong type should be (PORT=abc: an integer)', () => {
    expect(() => validateEnvironment({ PORT: 'abc' })).toThrow(
      'Invalid configuration: PORT="abc" is invalid (PORT must be an integer number)',
    );
  });

  it('names every rule a number of the right type breaks (PORT=70000: the maximum)', () => {
    expect(() => validateEnvironment({ PORT: '70000' })).toThrow(
      'Invalid configuration: PORT="70000" is invalid (PORT must not be greater than 65535)',
    );
  });

  it('rejects a maximum reset timeout below the reset timeout', () => {
    expect(() =>
      validateEnvironment({
        CIRCUIT_BREAKER_RESET_TIMEOUT_MS: '5000',
        CIRCUIT_BREAKER_MAX_RESET_TIMEOUT_MS: '1000',
      }),
    ).toThrow(/CIRCUIT_BREAKER_MAX_RESET_TIMEOUT_MS must be at least/);
  });

  it('rejects a hedge delay floor above its ceiling', () => {
    expect(() =>
      validateEnvironment({
        UPSTREAM_HEDGE_MIN_DELAY_MS: '500',
        UPSTREAM_HEDGE_MAX_DELAY_MS: '400',
      }),
    ).toThrow(
      'Invalid configuration: UPSTREAM_HEDGE_MIN_DELAY_MS (500) must not be greater than UPSTREAM_HEDGE_MAX_DELAY_MS (400)',
    );
    expect(() =>
      validateEnvironment({
        UPSTREAM_HEDGE_MIN_DELAY_MS: '400',
        UPSTREAM_HEDGE_MAX_DELAY_MS: '400',
      }),
    ).not.toThrow();
  });

  it.each([
    ['UPSTREAM_HEDGE_PERCENTILE', '49', 'UPSTREAM_HEDGE_PERCENTILE must not be less than 50'],
    ['UPSTREAM_HEDGE_PERCENTILE', '100', 'UPSTREAM_HEDGE_PERCENTILE must not be greater than 99.9'],
    ['UPSTREAM_HEDGE_READS', 'maybe', 'UPSTREAM_HEDGE_READS must be a boolean value'],
    [
      'UPSTREAM_RETRY_BUDGET_RATIO',
      '1.5',
      'UPSTREAM_RETRY_BUDGET_RATIO must not be greater than 1',
    ],
    [
      'UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND',
      '-1',
      'UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND must not be less than 0',
    ],
    [
      'UPSTREAM_RETRY_BUDGET_WINDOW_MS',
      '10',
      'UPSTREAM_RETRY_BUDGET_WINDOW_MS must not be less than 1000',
    ],
  ])('rejects %s=%s', (name, value, message) => {
    expect(() => validateEnvironment({ [name]: value })).toThrow(message);
  });

  it.each([
    [
      { UPSTREAM_CONCURRENCY_LIMIT_INITIAL: '100', UPSTREAM_CONCURRENCY_LIMIT_MIN: '200' },
      '200 ≤ 100 ≤ 500',
    ],
    [
      { UPSTREAM_CONCURRENCY_LIMIT_INITIAL: '100', UPSTREAM_CONCURRENCY_LIMIT_MAX: '50' },
      '10 ≤ 100 ≤ 50',
    ],
    [
      { UPSTREAM_CONCURRENCY_LIMIT_MIN: '60', UPSTREAM_CONCURRENCY_LIMIT_MAX: '50' },
      '60 ≤ 50 ≤ 50',
    ],
  ])('rejects concurrency limits out of order (%p)', (env, shown) => {
    expect(() => validateEnvironment(env)).toThrow(
      `UPSTREAM_CONCURRENCY_LIMIT_MIN ≤ UPSTREAM_CONCURRENCY_LIMIT_INITIAL ≤ UPSTREAM_CONCURRENCY_LIMIT_MAX (${shown} does not)`,
    );
  });

  it('groups the concurrency limit settings, and lets them be turned off', () => {
    expect(
      loadConfig({ UPSTREAM_CONCURRENCY_QUEUE_SIZE: '0', UPSTREAM_MAX_CONCURRENCY: '40' })
        .concurrencyLimit,
    ).toEqual({
      enabled: true,
      initialLimit: 40, // one client request's fan-out
      minLimit: 10,
      maxLimit: 500,
      latencyFloor: 40, // the same
      queueSize: 0,
      queueTimeoutMs: 250,
    });
    expect(loadConfig({ UPSTREAM_ADAPTIVE_CONCURRENCY: 'false' }).concurrencyLimit.enabled).toBe(
      false,
    );
  });

  it.each([
    [{}, 64], // UPSTREAM_MAX_CONCURRENCY's default
    [{ UPSTREAM_MAX_CONCURRENCY: '5' }, 10], // not below the minimum
    [{ UPSTREAM_MAX_CONCURRENCY: '900' }, 500], // nor above the maximum
    [{ UPSTREAM_CONCURRENCY_LIMIT_INITIAL: '' }, 64], // empty is unset
    [{ UPSTREAM_CONCURRENCY_LIMIT_INITIAL: '120', UPSTREAM_MAX_CONCURRENCY: '32' }, 120], // as set
  ])('starts the limit at %p: %d', (env, initialLimit) => {
    expect(loadConfig(env).concurrencyLimit.initialLimit).toBe(initialLimit);
  });

  it('refuses an UPSTREAM_CONCURRENCY_LIMIT_INITIAL that is not a whole number', () => {
    expect(() => validateEnvironment({ UPSTREAM_CONCURRENCY_LIMIT_INITIAL: 'many' })).toThrow(
      'UPSTREAM_CONCURRENCY_LIMIT_INITIAL',
    );
    expect(() => validateEnvironment({ UPSTREAM_CONCURRENCY_LIMIT_INITIAL: '0' })).toThrow(
      'UPSTREAM_CONCURRENCY_LIMIT_INITIAL',
    );
  });
});

describe('ADMIN_TOKEN', () => {
  const token = 'f3a9c1d07b2e4856a1c0d9e8f7b6a5c4'; // 32 characters

  it('is optional: unset or empty, the admin routes are off', () => {
    expect(loadConfig({}).admin.token).toBeUndefined();
    expect(loadConfig({ ADMIN_TOKEN: '' }).admin.token).toBeUndefined();
  });

  it('accepts a token of 32 characters or more, hex or base64', () => {
    expect(loadConfig({ ADMIN_TOKEN: token }).admin.token).toBe(token);
    const base64 = 'q83vAS+/RWeJq83vASNFZ4mrze8BI0VniavN7wEjRWc=';
    expect(loadConfig({ ADMIN_TOKEN: base64 }).admin.token).toBe(base64);
  });

  it('drops surrounding whitespace, such as the newline of a Secret made from a file', () => {
    expect(loadConfig({ ADMIN_TOKEN: `${token}\n` }).admin.token).toBe(token);
  });

  it.each([
    ['too short', token.slice(1), /ADMIN_TOKEN must be at least 32 characters/],
    ['with a space', `${token} x`, /ADMIN_TOKEN may hold only letters, digits/],
    ['with a quote', `${token}"`, /ADMIN_TOKEN may hold only letters, digits/],
    ['too long', 'a'.repeat(513), /ADMIN_TOKEN must be at most 512 characters/],
  ])(
    'stops at start-up for a token %s, naming the rule but never showing the value',
    (_, value, rule) => {
      let message = '';
      try {
        validateEnvironment({ ADMIN_TOKEN: value });
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidEnvironmentError);
        message = (error as Error).message;
      }
      expect(message).toMatch(
        /^Invalid configuration: ADMIN_TOKEN=\(hidden, \d+ characters\) is invalid/,
      );
      expect(message).toMatch(rule);
      expect(message).not.toContain(value.slice(0, 16));
    },
  );
});

describe('AUTH_*', () => {
  const all = {
    AUTH_JWKS_URL: 'https://idp.test/.well-known/jwks.json',
    AUTH_ISSUER: 'https://idp.test/',
    AUTH_AUDIENCE: 'event-gateway',
  };

  it('is off without any of the three', () => {
    expect(loadConfig({}).auth).toBeUndefined();
  });

  it('is on with all three, with the defaults of the rest', () => {
    expect(loadConfig(all).auth).toEqual({
      jwksUrl: all.AUTH_JWKS_URL,
      issuer: all.AUTH_ISSUER,
      audience: all.AUTH_AUDIENCE,
      writeScope: 'events:write',
      clockToleranceS: 30,
      jwksTimeoutMs: 3000,
      jwksCooldownMs: 30000,
      jwksMaxAgeMs: 600000,
    });
  });

  it.each(Object.keys(all))('stops at start-up when %s is missing from the set', (missing) => {
    const partial = Object.fromEntries(Object.entries(all).filter(([name]) => name !== missing));
    expect(() => validateEnvironment(partial)).toThrow(
      new RegExp(
        `needs AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE together .*missing: ${missing}`,
      ),
    );
  });

  it('refuses a JWKS URL that is not http(s), and a write scope with a space', () => {
    expect(() => validateEnvironment({ ...all, AUTH_JWKS_URL: 'file:///etc/jwks' })).toThrow(
      /AUTH_JWKS_URL/,
    );
    expect(() => validateEnvironment({ ...all, AUTH_WRITE_SCOPE: 'events write' })).toThrow(
      /AUTH_WRITE_SCOPE must be one scope token/,
    );
  });
});

describe('loadConfig', () => {
  it('groups the validated settings', () => {
    const config = loadConfig({
      EVENT_API_BASE_URL: 'http://api.test//',
      CORS_ORIGINS: 'http://a.test, http://b.test',
    });
    expect(config.upstream.baseUrl).toBe('http://api.test');
    expect(config.security.corsOrigins).toEqual(['http://a.test', 'http://b.test']);
    expect(config.circuitBreaker.write).toEqual({ failureThreshold: 3, windowMs: 30_000 });
    expect(config.upstream.hedge).toEqual({
      enabled: true,
      percentile: 95,
      minDelayMs: 50,
      maxDelayMs: 1000,
    });
    expect(config.upstream.retryBudget).toEqual({ ratio: 0.1, minPerSecond: 5, windowMs: 10_000 });
  });
});

describe('OTEL_EXPORTER_OTLP_HEADERS', () => {
  it('accepts key=value pairs, values %-encoded', () => {
    expect(() =>
      validateEnvironment({
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer abc123,x-scope=a%3Bb',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=one,',
      }),
    ).not.toThrow();
  });

  it.each([
    ['an entry without a value', 'authorization=Bearer s3cret-token,x-tenant'],
    ['a value the SDK would cut at ;', 'authorization=Bearer s3cret-token;x'],
    ['a bad %-escape', 'authorization=Bearer s3cret-token%zz'],
  ])('stops at start-up for %s (the SDK would drop it), never showing the value', (_, value) => {
    let message = '';
    try {
      validateEnvironment({ OTEL_EXPORTER_OTLP_HEADERS: value });
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEnvironmentError);
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /^Invalid configuration: OTEL_EXPORTER_OTLP_HEADERS=\(hidden, \d+ characters\) is invalid/,
    );
    expect(message).not.toContain('s3cret');
  });
});

describe('loadConfig: tracing', () => {
  const endpoint = 'http://collector.test:4318';

  it('exports nothing without an OTLP endpoint', () => {
    expect(loadConfig({}).tracing.export).toBeUndefined();
  });

  it('exports over http/protobuf when an endpoint is set, naming only its origin', () => {
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:pass@collector.test/otlp' }).tracing
        .export,
    ).toEqual({ protocol: 'http/protobuf', collector: 'https://collector.test' });
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces` }).tracing.export,
    ).toEqual({ protocol: 'http/protobuf', collector: endpoint });
  });

  it('loads the exporter of the traces protocol, else of the general one', () => {
    const protocol = (env: Record<string, string>) =>
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...env }).tracing.export?.protocol;
    expect(protocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('http/json');
    expect(
      protocol({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      }),
    ).toBe('http/protobuf');
  });

  it.each([
    { OTEL_SDK_DISABLED: 'true' },
    { OTEL_SDK_DISABLED: '1' },
    { OTEL_TRACES_EXPORTER: 'none' },
  ])('exports nothing with %p, whatever the endpoint', (env) => {
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...env }).tracing.export,
    ).toBeUndefined();
  });

  it('names the service after package.json, unless OTEL_SERVICE_NAME says otherwise', () => {
    const { name } = JSON.parse(
      readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
    ) as { name: string };
    expect(loadConfig({}).tracing.serviceName).toBe(name);
    expect(loadConfig({ OTEL_SERVICE_NAME: 'gateway-eu' }).tracing.serviceName).toBe('gateway-eu');
  });
});

describe('parseTrustProxy', () => {
  it.each([
    ['false', false],
    ['true', true],
    ['10.0.0.0/8, 127.0.0.1', ['10.0.0.0/8', '127.0.0.1']],
  ])('reads %p as %p', (value, expected) => {
    expect(parseTrustProxy(value)).toEqual(expected);
  });

  it('reads a number as that many trusted hops', () => {
    const trust = parseTrustProxy('2') as (address: string, hop: number) => boolean;
    expect([0, 1, 2].map((hop) => trust('10.0.0.1', hop))).toEqual([true, true, false]);
  });
});

describe('.env.example', () => {
  const example = Object.fromEntries(
    readFileSync(join(__dirname, '..', '..', '..', '.env.example'), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

  it('lists every variable the gateway reads, with its real default', () => {
    const defaults = { ...new EnvironmentVariables() } as Record<string, unknown>;
    for (const [name, value] of Object.entries(defaults)) {
      expect([name, example[name]]).toEqual([name, String(value)]);
    }
  });

  it('is itself a valid configuration', () => {
    expect(() => validateEnvironment(example)).not.toThrow();
  });
});

describe('EVENT_API_BASE_URL with credentials', () => {
  it('keeps them out of the URL (logged, traced) and apart, for HTTP Basic auth', () => {
    const { upstream } = loadConfig({
      EVENT_API_BASE_URL: 'http://user:S3cret%40Pw@api.test:3001/',
    });
    expect(upstream.baseUrl).toBe('http://api.test:3001');
    expect(upstream.credentials).toEqual({ username: 'user', password: 'S3cret@Pw' });
  });

  it('leaves a URL without them as it is', () => {
    const { upstream } = loadConfig({ EVENT_API_BASE_URL: 'http://api.test:3001/v1/' });
    expect(upstream.baseUrl).toBe('http://api.test:3001/v1');
    expect(upstream.credentials).toBeUndefined();
  });
});

describe('a proxy named in the environment', () => {
  it('is looked up per call (axios) only when a variable axios reads names one', () => {
    expect(loadConfig({}).upstream.environmentProxy).toBe(false);
    expect(loadConfig({ HTTP_PROXY: ' ' }).upstream.environmentProxy).toBe(false);
    expect(loadConfig({ NO_PROXY: 'localhost' }).upstream.environmentProxy).toBe(false);
    for (const name of ['HTTP_PROXY', 'https_proxy', 'ALL_PROXY', 'npm_config_https_proxy']) {
      expect(loadConfig({ [name]: 'http://proxy.test:3128' }).upstream.environmentProxy).toBe(true);
    }
  });
});
