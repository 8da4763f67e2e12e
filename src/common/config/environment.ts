import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { parseKeyPairsIntoRecord } from '@opentelemetry/core';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `true`/`false` (any case) or `1`/`0`; anything else is left as is and fails validation. */
export const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (normalised === 'true' || normalised === '1') return true;
  if (normalised === 'false' || normalised === '0') return false;
  return value;
};

/**
 * Every environment variable the gateway reads, with its default (the OpenTelemetry ones apart:
 * see OPEN_TELEMETRY_RULES). Validated once at start-up: an invalid value stops the process with a
 * message naming the variable.
 */
export class EnvironmentVariables {
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  readonly PORT: number = 3000;

  @IsIn(['development', 'production', 'test'])
  readonly NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsIn(LOG_LEVELS)
  readonly LOG_LEVEL: LogLevel = 'info';

  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  readonly EVENT_API_BASE_URL: string = 'http://localhost:3001';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(600_000)
  readonly UPSTREAM_TIMEOUT_MS: number = 3000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1024)
  readonly UPSTREAM_MAX_CONCURRENCY: number = 64;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000)
  readonly UPSTREAM_RETRY_DELAY_MS: number = 100;

  @Transform(toBoolean)
  @IsBoolean()
  readonly UPSTREAM_COALESCE_READS: boolean = true;

  /** Hedged reads: a read slower than its operation's recent percentile gets one more attempt. */
  @Transform(toBoolean)
  @IsBoolean()
  readonly UPSTREAM_HEDGE_READS: boolean = true;

  /** Which percentile of an operation's recent latencies a read may take before it is hedged. */
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(50)
  @Max(99.9)
  readonly UPSTREAM_HEDGE_PERCENTILE: number = 95;

  /** The hedge delay's floor (and ceiling, below), whatever the percentile says. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(600_000)
  readonly UPSTREAM_HEDGE_MIN_DELAY_MS: number = 50;

  /** Also the delay until an operation has enough samples to trust its percentile. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(600_000)
  readonly UPSTREAM_HEDGE_MAX_DELAY_MS: number = 1000;

  /** Extra read attempts (retries and hedges) per first attempt in the budget's window. */
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  readonly UPSTREAM_RETRY_BUDGET_RATIO: number = 0.1;

  /** Extra read attempts allowed per second whatever the traffic (the budget's floor). */
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(10_000)
  readonly UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND: number = 5;

  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  readonly UPSTREAM_RETRY_BUDGET_WINDOW_MS: number = 10_000;

  @Transform(toBoolean)
  @IsBoolean()
  readonly UPSTREAM_ADAPTIVE_CONCURRENCY: boolean = true;

  /**
   * The limit to start from; empty: UPSTREAM_MAX_CONCURRENCY (one client request's widest fan-out),
   * within UPSTREAM_CONCURRENCY_LIMIT_MIN … _MAX (see `initialConcurrencyLimit`).
   */
  @Transform(({ value }: { value: unknown }) =>
    value === undefined || value === '' ? '' : Number(value),
  )
  @ValidateIf((env: EnvironmentVariables) => env.UPSTREAM_CONCURRENCY_LIMIT_INITIAL !== '')
  @IsInt()
  @Min(1)
  @Max(10_000)
  readonly UPSTREAM_CONCURRENCY_LIMIT_INITIAL: number | '' = '';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  readonly UPSTREAM_CONCURRENCY_LIMIT_MIN: number = 10;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  readonly UPSTREAM_CONCURRENCY_LIMIT_MAX: number = 500;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(100_000)
  readonly UPSTREAM_CONCURRENCY_QUEUE_SIZE: number = 100;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(60_000)
  readonly UPSTREAM_CONCURRENCY_QUEUE_TIMEOUT_MS: number = 250;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  readonly CIRCUIT_BREAKER_FAILURE_THRESHOLD: number = 3;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  readonly CIRCUIT_BREAKER_FAILURE_WINDOW_MS: number = 30_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  readonly CIRCUIT_BREAKER_RESET_TIMEOUT_MS: number = 10_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  readonly CIRCUIT_BREAKER_MAX_RESET_TIMEOUT_MS: number = 60_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  readonly CIRCUIT_BREAKER_HALF_OPEN_MAX_PROBES: number = 1;

  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.01)
  @Max(1)
  readonly CIRCUIT_BREAKER_READ_FAILURE_RATE: number = 0.5;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  readonly CIRCUIT_BREAKER_READ_MINIMUM_CALLS: number = 20;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  readonly CIRCUIT_BREAKER_READ_WINDOW_MS: number = 10_000;

  @Transform(toBoolean)
  @IsBoolean()
  readonly READINESS_FAIL_ON_OPEN_CIRCUIT: boolean = false;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600_000)
  readonly SHUTDOWN_DRAIN_MS: number = 5000;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600_000)
  readonly SHUTDOWN_TIMEOUT_MS: number = 10_000;

  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(10 * 1024 * 1024)
  readonly BODY_LIMIT_BYTES: number = 16 * 1024;

  /** Comma-separated origins allowed by CORS; empty: CORS off. */
  @IsString()
  @Matches(/^(\s*https?:\/\/[^\s,]+\s*)(,\s*https?:\/\/[^\s,]+\s*)*$|^$/, {
    message: 'CORS_ORIGINS must be a comma-separated list of http(s) origins',
  })
  readonly CORS_ORIGINS: string = '';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  readonly RATE_LIMIT_MAX: number = 300;

  @Type(() => Number)
  @IsInt()
  @Min(1000)
  readonly RATE_LIMIT_TTL_MS: number = 60_000;

  /** `false`, `true`, a number of proxy hops, or comma-separated proxy addresses/CIDRs. */
  @IsString()
  @Matches(/^(true|false|\d+|[0-9A-Fa-f.:/]+(\s*,\s*[0-9A-Fa-f.:/]+)*)$/, {
    message: 'TRUST_PROXY must be true, false, a number of hops or a list of addresses',
  })
  readonly TRUST_PROXY: string = 'false';

  /** Shared state (rate limits, read cache, idempotency keys, queue); empty: process memory. */
  @IsString()
  @Matches(/^$|^rediss?:\/\/\S+$/, {
    message: 'REDIS_URL must be a redis:// or rediss:// URL, or empty',
  })
  readonly REDIS_URL: string = '';

  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(60_000)
  readonly REDIS_COMMAND_TIMEOUT_MS: number = 250;

  /** How long a request waits for the create queue (its own connection, not the fail-fast one). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  readonly REDIS_QUEUE_TIMEOUT_MS: number = 2000;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  readonly READ_CACHE_TTL_MS: number = 5_000;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(7 * 86_400_000)
  readonly READ_CACHE_STALE_IF_ERROR_MS: number = 3_600_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  readonly READ_CACHE_MAX_ENTRIES: number = 10_000;

  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(30 * 86_400_000)
  readonly IDEMPOTENCY_TTL_MS: number = 86_400_000;

  /** Run the delivery worker for `Prefer: respond-async` creates in this process (needs REDIS_URL). */
  @Transform(toBoolean)
  @IsBoolean()
  readonly EVENT_DELIVERY_WORKER: boolean = true;

  @Type(() => Number)
  @IsInt()
  @Min(60_000)
  @Max(30 * 86_400_000)
  readonly EVENT_DELIVERY_MAX_AGE_MS: number = 86_400_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  readonly EVENT_DELIVERY_CONCURRENCY: number = 4;

  /**
   * The bound of the queue of accepted creates: pending (waiting, delayed or being delivered) creates
   * past which a `Prefer: respond-async` create is refused (503 DELIVERY_QUEUE_FULL).
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  readonly EVENT_DELIVERY_MAX_PENDING: number = 10_000;

  /** How long a worker holds a job without renewing; a dead worker's jobs move on after it. */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  readonly EVENT_DELIVERY_LOCK_MS: number = 30_000;

  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600_000)
  readonly HTTP_HEADERS_TIMEOUT_MS: number = 10_000;

  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600_000)
  readonly HTTP_REQUEST_TIMEOUT_MS: number = 30_000;

  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  readonly HTTP_KEEP_ALIVE_TIMEOUT_MS: number = 65_000;

  /** When the legacy paths stop working, announced in a `Sunset` header; empty: not announced. */
  @IsString()
  @Matches(/^$|^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$/, {
    message: 'LEGACY_SUNSET_AT must be an ISO 8601 date, e.g. 2027-06-30 or 2027-06-30T00:00:00Z',
  })
  readonly LEGACY_SUNSET_AT: string = '';

  /**
   * The bearer token of the operators' /admin routes; empty: those routes do not exist. A secret:
   * never logged, and hidden in configuration errors. Surrounding whitespace (a trailing newline
   * in a Secret created from a file) is dropped.
   */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @ValidateIf((env: EnvironmentVariables) => env.ADMIN_TOKEN !== '')
  @IsString()
  @MinLength(32, {
    message: 'ADMIN_TOKEN must be at least 32 characters (generate one: openssl rand -hex 32)',
  })
  @MaxLength(512, { message: 'ADMIN_TOKEN must be at most 512 characters' })
  @Matches(/^[A-Za-z0-9\-._~+/]+=*$/, {
    message:
      'ADMIN_TOKEN may hold only letters, digits and - . _ ~ + / (then = padding), as a bearer token',
  })
  readonly ADMIN_TOKEN: string = '';

  /**
   * The bearer token Prometheus sends for GET /metrics; empty: /metrics is open (keep it off
   * public ingresses then). A secret, as ADMIN_TOKEN.
   */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @ValidateIf((env: EnvironmentVariables) => env.METRICS_TOKEN !== '')
  @IsString()
  @MinLength(32, {
    message: 'METRICS_TOKEN must be at least 32 characters (generate one: openssl rand -hex 32)',
  })
  @MaxLength(512, { message: 'METRICS_TOKEN must be at most 512 characters' })
  @Matches(/^[A-Za-z0-9\-._~+/]+=*$/, {
    message:
      'METRICS_TOKEN may hold only letters, digits and - . _ ~ + / (then = padding), as a bearer token',
  })
  readonly METRICS_TOKEN: string = '';

  /**
   * Bearer authentication of the API (JWT access tokens checked against a JWKS): on when these
   * three are set, off when none is; a partial set stops the start-up.
   */
  @ValidateIf((env: EnvironmentVariables) => env.AUTH_JWKS_URL !== '')
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  readonly AUTH_JWKS_URL: string = '';

  @IsString()
  @MaxLength(2048)
  readonly AUTH_ISSUER: string = '';

  @IsString()
  @MaxLength(2048)
  readonly AUTH_AUDIENCE: string = '';

  /** The scope creates need (`scope` claim, space-separated). */
  @IsString()
  @Matches(/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/, {
    message: 'AUTH_WRITE_SCOPE must be one scope token (printable ASCII, no space, " or \\)',
  })
  readonly AUTH_WRITE_SCOPE: string = 'events:write';

  /** Leeway for `exp` and `nbf`, in seconds: clocks of the issuer and the gateway differ a little. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(300)
  readonly AUTH_CLOCK_TOLERANCE_S: number = 30;

  /** Deadline of one JWKS fetch. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  readonly AUTH_JWKS_TIMEOUT_MS: number = 3000;

  /** At most one JWKS fetch per this interval, however many unknown `kid`s arrive. */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  readonly AUTH_JWKS_COOLDOWN_MS: number = 30_000;

  /** Keys older than this are fetched again (in the background; the old ones serve meanwhile). */
  @Type(() => Number)
  @IsInt()
  @Min(10_000)
  @Max(86_400_000)
  readonly AUTH_JWKS_MAX_AGE_MS: number = 600_000;
}

/** Variables whose values are secrets: a configuration error names them but never shows them. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'ADMIN_TOKEN',
  'METRICS_TOKEN',
  // may carry the collector's credentials
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
]);

/** The names in OTEL_TRACES_EXPORTER, a comma-separated list. */
export const exporterNames = (value: string): string[] =>
  value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);

const SAMPLERS = ['always_on', 'always_off', 'traceidratio'].flatMap((s) => [
  s,
  `parentbased_${s}`,
]);

/**
 * The OpenTelemetry variables (opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables)
 * are read by the SDK: the OTLP exporter reads its own, the tracing module the rest with the SDK's
 * helpers (src/tracing/tracing.service.ts). Checked here are only those the gateway decides on
 * (gateway-config.ts) and values the SDK would silently replace by its default, drop or cut (it
 * reports them to its diag logger, which nothing reads); docs/observability.md has the list.
 */
const OPEN_TELEMETRY_RULES: [names: string[], valid: (value: string) => boolean, rule: string][] = [
  [['OTEL_SDK_DISABLED'], (value) => typeof toBoolean({ value }) === 'boolean', 'true or false'],
  [
    ['OTEL_TRACES_EXPORTER'],
    (value) => exporterNames(value).every((name) => name === 'otlp' || name === 'none'),
    'otlp or none: no other exporter is included',
  ],
  [
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'],
    (value) => URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol),
    'an http(s) URL',
  ],
  [
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'],
    (value) => value === 'http/protobuf' || value === 'http/json',
    'http/protobuf or http/json (gRPC is not included)',
  ],
  [
    ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'],
    // every entry one the SDK keeps whole: it drops those without a value or with a bad
    // %-escape, and cuts a value at `;`
    (value) =>
      value
        .split(',')
        .filter((entry) => entry.trim() !== '')
        .every(
          (entry) =>
            !entry.includes(';') && Object.keys(parseKeyPairsIntoRecord(entry)).length === 1,
        ),
    'comma-separated key=value pairs, values %-encoded (; as %3B)',
  ],
  [['OTEL_TRACES_SAMPLER'], (value) => SAMPLERS.includes(value), `one of ${SAMPLERS.join(', ')}`],
  [
    ['OTEL_TRACES_SAMPLER_ARG'],
    (value) => Number.isFinite(Number(value)) && Number(value) >= 0 && Number(value) <= 1,
    'a number from 0 to 1',
  ],
  [
    [
      'OTEL_BSP_SCHEDULE_DELAY',
      'OTEL_BSP_MAX_QUEUE_SIZE',
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
      'OTEL_BSP_EXPORT_TIMEOUT',
    ],
    (value) => /^[1-9]\d*$/.test(value),
    'a positive integer',
  ],
];

/** Thrown for an invalid environment; its message is meant to be printed as is. */
export class InvalidEnvironmentError extends Error {
  override readonly name = 'InvalidEnvironmentError';
}

/**
 * The concurrency limit to start from: UPSTREAM_CONCURRENCY_LIMIT_INITIAL when set, else
 * UPSTREAM_MAX_CONCURRENCY within the limit's bounds: wide enough for one client request's whole
 * fan-out, and no wider (a limit that starts past the upstream's knee sends a burst past it before
 * any answer can tell; the limit grows from there as calls come back healthy).
 */
export function initialConcurrencyLimit(
  env: Pick<
    EnvironmentVariables,
    | 'UPSTREAM_CONCURRENCY_LIMIT_INITIAL'
    | 'UPSTREAM_MAX_CONCURRENCY'
    | 'UPSTREAM_CONCURRENCY_LIMIT_MIN'
    | 'UPSTREAM_CONCURRENCY_LIMIT_MAX'
  >,
): number {
  if (env.UPSTREAM_CONCURRENCY_LIMIT_INITIAL !== '') return env.UPSTREAM_CONCURRENCY_LIMIT_INITIAL;
  return Math.min(
    env.UPSTREAM_CONCURRENCY_LIMIT_MAX,
    Math.max(env.UPSTREAM_CONCURRENCY_LIMIT_MIN, env.UPSTREAM_MAX_CONCURRENCY),
  );
}

function invalid(name: string, value: unknown, reasons: string): string {
  const shown = SECRET_VARIABLES.has(name)
    ? `(hidden, ${String(value).length} characters)`
    : JSON.stringify(value);
  return `${name}=${shown} is invalid (${reasons})`;
}

function describe(errors: ValidationError[], raw: Record<string, unknown>): string[] {
  return errors.map((error) => {
    const constraints = error.constraints ?? {};
    // A value of the wrong type breaks every rule at once ("abc" is neither ≥ 0 nor ≤ 65535): say
    // only what it should be.
    const typeRule = constraints.isInt ?? constraints.isNumber ?? constraints.isBoolean;
    const rules =
      typeRule && !isNumeric(raw[error.property]) ? [typeRule] : Object.values(constraints);
    return invalid(error.property, raw[error.property], rules.join('; '));
  });
}

const isNumeric = (value: unknown): boolean =>
  typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value));

/** Blank values count as unset, as the SDK reads them; the rest is checked trimmed. */
function openTelemetryErrors(raw: Record<string, string>): string[] {
  return OPEN_TELEMETRY_RULES.flatMap(([names, valid, rule]) =>
    names
      .filter((name) => raw[name]?.trim() && !valid(raw[name].trim()))
      .map((name) => invalid(name, raw[name], `${name} must be ${rule}`)),
  );
}

/**
 * Validates the environment and fills in defaults. Empty strings count as unset, so `PORT=` in a
 * `.env` file means "use the default" rather than "invalid".
 */
export function validateEnvironment(
  raw: Readonly<Record<string, string | undefined>>,
): EnvironmentVariables {
  const defined = Object.fromEntries(
    Object.entries(raw).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );
  const env = plainToInstance(EnvironmentVariables, defined, { exposeDefaultValues: true });
  const errors = [
    ...describe(validateSync(env, { skipMissingProperties: false }), defined),
    ...openTelemetryErrors(defined),
  ];
  if (errors.length > 0)
    throw new InvalidEnvironmentError(`Invalid configuration: ${errors.join(', ')}`);
  if (env.LEGACY_SUNSET_AT !== '' && Number.isNaN(Date.parse(env.LEGACY_SUNSET_AT))) {
    throw new InvalidEnvironmentError(
      `Invalid configuration: LEGACY_SUNSET_AT=${JSON.stringify(env.LEGACY_SUNSET_AT)} is not a date`,
    );
  }
  const auth = ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'] as const;
  const set = auth.filter((name) => env[name] !== '');
  if (set.length > 0 && set.length < auth.length) {
    throw new InvalidEnvironmentError(
      `Invalid configuration: authentication needs AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE together (set: ${set.join(', ')}; missing: ${auth.filter((name) => env[name] === '').join(', ')})`,
    );
  }
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    throw new InvalidEnvironmentError(
      'Invalid configuration: HTTP_HEADERS_TIMEOUT_MS must not be greater than HTTP_REQUEST_TIMEOUT_MS',
    );
  }
  if (env.UPSTREAM_HEDGE_MIN_DELAY_MS > env.UPSTREAM_HEDGE_MAX_DELAY_MS) {
    throw new InvalidEnvironmentError(
      `Invalid configuration: UPSTREAM_HEDGE_MIN_DELAY_MS (${env.UPSTREAM_HEDGE_MIN_DELAY_MS}) must not be greater than UPSTREAM_HEDGE_MAX_DELAY_MS (${env.UPSTREAM_HEDGE_MAX_DELAY_MS})`,
    );
  }
  const initial = initialConcurrencyLimit(env);
  if (
    env.UPSTREAM_CONCURRENCY_LIMIT_MIN > initial ||
    initial > env.UPSTREAM_CONCURRENCY_LIMIT_MAX
  ) {
    throw new InvalidEnvironmentError(
      `Invalid configuration: the concurrency limits must satisfy UPSTREAM_CONCURRENCY_LIMIT_MIN ≤ UPSTREAM_CONCURRENCY_LIMIT_INITIAL ≤ UPSTREAM_CONCURRENCY_LIMIT_MAX (${env.UPSTREAM_CONCURRENCY_LIMIT_MIN} ≤ ${initial} ≤ ${env.UPSTREAM_CONCURRENCY_LIMIT_MAX} does not)`,
    );
  }
  if (env.CIRCUIT_BREAKER_MAX_RESET_TIMEOUT_MS < env.CIRCUIT_BREAKER_RESET_TIMEOUT_MS) {
    throw new InvalidEnvironmentError(
      'Invalid configuration: CIRCUIT_BREAKER_MAX_RESET_TIMEOUT_MS must be at least CIRCUIT_BREAKER_RESET_TIMEOUT_MS',
    );
  }
  return env;
}
