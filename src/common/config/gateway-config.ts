import { existsSync } from 'node:fs';
import {
  exporterNames,
  initialConcurrencyLimit,
  toBoolean,
  validateEnvironment,
  type EnvironmentVariables,
  type LogLevel,
} from './environment';
import { SERVICE_NAME } from './service-version';

/** Fastify's `trustProxy`: whom to believe about the client's address in X-Forwarded-For. */
export type TrustProxy = boolean | string[] | ((address: string, hop: number) => boolean);

/**
 * The gateway's settings, typed and grouped, built once from a validated environment. Inject
 * `ConfigService<GatewayConfig, true>` and read a group with `config.get('upstream', { infer: true })`.
 */
export interface GatewayConfig {
  readonly app: {
    readonly port: number;
    /** Client connections: how long to send headers, a whole request, and idle keep-alive. */
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly nodeEnv: EnvironmentVariables['NODE_ENV'];
    readonly logLevel: LogLevel;
  };
  readonly redis: {
    /** Unset: every piece of state lives in process memory (one replica). */
    readonly url?: string;
    readonly commandTimeoutMs: number;
    /** How long a request waits for a queue operation (the queue has its own connection). */
    readonly queueTimeoutMs: number;
    /** Every key the gateway writes starts with this, so it can share a Redis with others. */
    readonly keyPrefix: string;
  };
  readonly readCache: {
    /** How long a stored read is served without asking the upstream (0: never). */
    readonly ttlMs: number;
    /** How long past that it may still be served when the upstream fails or is refused. */
    readonly staleIfErrorMs: number;
    readonly maxEntries: number;
  };
  readonly eventDelivery: {
    /** Whether this process runs the delivery worker (only with REDIS_URL). */
    readonly worker: boolean;
    readonly maxAgeMs: number;
    readonly concurrency: number;
    readonly lockMs: number;
    /** Pending accepted creates past which an async create is refused (503 DELIVERY_QUEUE_FULL). */
    readonly maxPending: number;
  };
  readonly idempotency: {
    /** How long an Idempotency-Key is remembered. */
    readonly ttlMs: number;
  };
  readonly tracing: {
    /** `service.name` of every span: OTEL_SERVICE_NAME, else the package's name. */
    readonly serviceName: string;
    /**
     * Which OTLP exporter spans go to, and the origin of its endpoint (for the start-up log);
     * undefined: spans are never exported. The exporter reads the rest of OTEL_EXPORTER_OTLP_*
     * itself (see Tracing).
     */
    readonly export?: {
      readonly protocol: 'http/protobuf' | 'http/json';
      readonly collector: string;
    };
  };
  readonly legacy: {
    /** When the legacy paths stop working (a `Sunset` header), if announced. */
    readonly sunsetAt?: Date;
  };
  readonly upstream: {
    /** Without credentials: safe to log and to put in spans. */
    readonly baseUrl: string;
    /** The user and password EVENT_API_BASE_URL carried, sent as HTTP Basic auth. */
    readonly credentials?: { readonly username: string; readonly password: string };
    /**
     * Whether the environment names a proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY in either case, or
     * npm's `npm_config_*_proxy`): then axios looks it up per call, as it documents; else the
     * client skips that lookup (about 4% of a fan-out's CPU).
     */
    readonly environmentProxy: boolean;
    readonly timeoutMs: number;
    readonly maxConcurrency: number;
    readonly retryDelayMs: number;
    readonly coalesceReads: boolean;
    /** Hedged reads (docs/resilience.md); the delay is the percentile clamped to [min, max]. */
    readonly hedge: {
      readonly enabled: boolean;
      readonly percentile: number;
      readonly minDelayMs: number;
      readonly maxDelayMs: number;
    };
    /** What retries and hedges of reads spend from: `ratio` × first attempts + a floor. */
    readonly retryBudget: {
      readonly ratio: number;
      readonly minPerSecond: number;
      readonly windowMs: number;
    };
  };
  /** The process-wide adaptive concurrency limit toward the upstream (see docs/resilience.md). */
  readonly concurrencyLimit: {
    /** false: no process-wide limit (only UPSTREAM_MAX_CONCURRENCY per client request). */
    readonly enabled: boolean;
    readonly initialLimit: number;
    readonly minLimit: number;
    readonly maxLimit: number;
    /**
     * The lowest latency alone takes the limit: UPSTREAM_MAX_CONCURRENCY, the calls one client
     * request may make at once (drops may take it down to minLimit).
     */
    readonly latencyFloor: number;
    /** Calls that may wait for a slot at once (0: none waits). */
    readonly queueSize: number;
    /** The longest a call waits for a slot. */
    readonly queueTimeoutMs: number;
  };
  readonly circuitBreaker: {
    readonly resetTimeoutMs: number;
    readonly maxResetTimeoutMs: number;
    readonly halfOpenMaxProbes: number;
    readonly write: { readonly failureThreshold: number; readonly windowMs: number };
    readonly read: {
      readonly failureRate: number;
      readonly minimumCalls: number;
      readonly windowMs: number;
    };
  };
  readonly health: {
    readonly readinessFailOnOpenCircuit: boolean;
    readonly shutdownDrainMs: number;
    readonly shutdownTimeoutMs: number;
  };
  readonly security: {
    readonly bodyLimitBytes: number;
    readonly corsOrigins: readonly string[];
    readonly rateLimitMax: number;
    readonly rateLimitTtlMs: number;
    readonly trustProxy: TrustProxy;
  };
  readonly admin: {
    /** The bearer token of the /admin routes; unset: those routes do not exist. */
    readonly token?: string;
  };
  readonly metrics: {
    /** The bearer token of GET /metrics; unset: it is open. */
    readonly token?: string;
  };
  /** Bearer authentication of the API (JWT against a JWKS); unset: the API is open. */
  readonly auth?: AuthConfig;
}

export interface AuthConfig {
  readonly jwksUrl: string;
  readonly issuer: string;
  readonly audience: string;
  /** The scope a create needs. */
  readonly writeScope: string;
  readonly clockToleranceS: number;
  readonly jwksTimeoutMs: number;
  /** The shortest interval between two JWKS fetches. */
  readonly jwksCooldownMs: number;
  /** Keys older than this are fetched again. */
  readonly jwksMaxAgeMs: number;
}

/** A number trusts that many proxy hops in front of the gateway. */
export function parseTrustProxy(value: string): TrustProxy {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return value.split(',').map((address) => address.trim());
}

/**
 * Validates `env` once and builds the typed configuration. Throws `InvalidEnvironmentError`
 * (a one-line message naming the variable) for an invalid value.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  const e = validateEnvironment(env);
  return {
    app: {
      port: e.PORT,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      nodeEnv: e.NODE_ENV,
      logLevel: e.LOG_LEVEL,
    },
    redis: {
      ...(e.REDIS_URL === '' ? {} : { url: e.REDIS_URL }),
      commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
      queueTimeoutMs: e.REDIS_QUEUE_TIMEOUT_MS,
      keyPrefix: 'event-gateway:',
    },
    readCache: {
      ttlMs: e.READ_CACHE_TTL_MS,
      staleIfErrorMs: e.READ_CACHE_STALE_IF_ERROR_MS,
      maxEntries: e.READ_CACHE_MAX_ENTRIES,
    },
    idempotency: { ttlMs: e.IDEMPOTENCY_TTL_MS },
    eventDelivery: {
      worker: e.EVENT_DELIVERY_WORKER,
      maxAgeMs: e.EVENT_DELIVERY_MAX_AGE_MS,
      concurrency: e.EVENT_DELIVERY_CONCURRENCY,
      lockMs: e.EVENT_DELIVERY_LOCK_MS,
      maxPending: e.EVENT_DELIVERY_MAX_PENDING,
    },
    tracing: {
      serviceName: env.OTEL_SERVICE_NAME?.trim() || SERVICE_NAME,
      ...tracingExport(env),
    },
    legacy: { sunsetAt: e.LEGACY_SUNSET_AT === '' ? undefined : new Date(e.LEGACY_SUNSET_AT) },
    upstream: {
      ...splitCredentials(e.EVENT_API_BASE_URL),
      environmentProxy: namesProxy(env),
      timeoutMs: e.UPSTREAM_TIMEOUT_MS,
      maxConcurrency: e.UPSTREAM_MAX_CONCURRENCY,
      retryDelayMs: e.UPSTREAM_RETRY_DELAY_MS,
      coalesceReads: e.UPSTREAM_COALESCE_READS,
      hedge: {
        enabled: e.UPSTREAM_HEDGE_READS,
        percentile: e.UPSTREAM_HEDGE_PERCENTILE,
        minDelayMs: e.UPSTREAM_HEDGE_MIN_DELAY_MS,
        maxDelayMs: e.UPSTREAM_HEDGE_MAX_DELAY_MS,
      },
      retryBudget: {
        ratio: e.UPSTREAM_RETRY_BUDGET_RATIO,
        minPerSecond: e.UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND,
        windowMs: e.UPSTREAM_RETRY_BUDGET_WINDOW_MS,
      },
    },
    concurrencyLimit: {
      enabled: e.UPSTREAM_ADAPTIVE_CONCURRENCY,
      initialLimit: initialConcurrencyLimit(e),
      minLimit: e.UPSTREAM_CONCURRENCY_LIMIT_MIN,
      maxLimit: e.UPSTREAM_CONCURRENCY_LIMIT_MAX,
      latencyFloor: e.UPSTREAM_MAX_CONCURRENCY,
      queueSize: e.UPSTREAM_CONCURRENCY_QUEUE_SIZE,
      queueTimeoutMs: e.UPSTREAM_CONCURRENCY_QUEUE_TIMEOUT_MS,
    },
    circuitBreaker: {
      resetTimeoutMs: e.CIRCUIT_BREAKER_RESET_TIMEOUT_MS,
      maxResetTimeoutMs: e.CIRCUIT_BREAKER_MAX_RESET_TIMEOUT_MS,
      halfOpenMaxProbes: e.CIRCUIT_BREAKER_HALF_OPEN_MAX_PROBES,
      write: {
        failureThreshold: e.CIRCUIT_BREAKER_FAILURE_THRESHOLD,
        windowMs: e.CIRCUIT_BREAKER_FAILURE_WINDOW_MS,
      },
      read: {
        failureRate: e.CIRCUIT_BREAKER_READ_FAILURE_RATE,
        minimumCalls: e.CIRCUIT_BREAKER_READ_MINIMUM_CALLS,
        windowMs: e.CIRCUIT_BREAKER_READ_WINDOW_MS,
      },
    },
    health: {
      readinessFailOnOpenCircuit: e.READINESS_FAIL_ON_OPEN_CIRCUIT,
      shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    },
    security: {
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      corsOrigins: e.CORS_ORIGINS.split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
      rateLimitMax: e.RATE_LIMIT_MAX,
      rateLimitTtlMs: e.RATE_LIMIT_TTL_MS,
      trustProxy: parseTrustProxy(e.TRUST_PROXY),
    },
    admin: e.ADMIN_TOKEN === '' ? {} : { token: e.ADMIN_TOKEN },
    metrics: e.METRICS_TOKEN === '' ? {} : { token: e.METRICS_TOKEN },
    ...(e.AUTH_JWKS_URL === ''
      ? {}
      : {
          auth: {
            jwksUrl: e.AUTH_JWKS_URL,
            issuer: e.AUTH_ISSUER,
            audience: e.AUTH_AUDIENCE,
            writeScope: e.AUTH_WRITE_SCOPE,
            clockToleranceS: e.AUTH_CLOCK_TOLERANCE_S,
            jwksTimeoutMs: e.AUTH_JWKS_TIMEOUT_MS,
            jwksCooldownMs: e.AUTH_JWKS_COOLDOWN_MS,
            jwksMaxAgeMs: e.AUTH_JWKS_MAX_AGE_MS,
          },
        }),
  };
}

/**
 * Whether spans are exported, the one thing about them the gateway decides (from the variables
 * `validateEnvironment` checked): when an OTLP endpoint is set, unless OTEL_SDK_DISABLED or
 * OTEL_TRACES_EXPORTER=none says not to; none at all (no exporter, no background work) otherwise.
 */
function tracingExport(
  env: Readonly<Record<string, string | undefined>>,
): Pick<GatewayConfig['tracing'], 'export'> {
  const value = (name: string) => env[name]?.trim() || undefined;
  const endpoint =
    value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? value('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (
    endpoint === undefined ||
    toBoolean({ value: value('OTEL_SDK_DISABLED') }) === true ||
    exporterNames(value('OTEL_TRACES_EXPORTER') ?? 'otlp').includes('none')
  ) {
    return {};
  }
  const protocol =
    value('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ??
    value('OTEL_EXPORTER_OTLP_PROTOCOL') ??
    'http/protobuf';
  return {
    export: {
      protocol: protocol as 'http/protobuf' | 'http/json',
      collector: new URL(endpoint).origin,
    },
  };
}

/** The variables axios (through proxy-from-env) reads a proxy from. */
const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'all_proxy'].flatMap((name) => [
  name,
  name.toUpperCase(),
  `npm_config_${name}`,
]);

function namesProxy(env: Readonly<Record<string, string | undefined>>): boolean {
  return PROXY_VARIABLES.some((name) => Boolean(env[name]?.trim()));
}

/** Reads `./.env` into `process.env` if it exists; variables already set win. */
export function loadDotEnvFile(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/**
 * EVENT_API_BASE_URL without its `user:password@` (if any), and the credentials apart: the URL is
 * logged at start-up and named in every upstream span, and must never carry a password there.
 */
function splitCredentials(raw: string): Pick<GatewayConfig['upstream'], 'baseUrl' | 'credentials'> {
  const url = new URL(raw);
  if (url.username === '' && url.password === '') return { baseUrl: raw.replace(/\/+$/, '') };
  const credentials = {
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
  url.username = '';
  url.password = '';
  return { baseUrl: url.toString().replace(/\/+$/, ''), credentials };
}
