import { Logger } from '@nestjs/common';
import {
  createLocalJWKSet,
  errors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import type { Clock } from '../common';

/** What a key look-up may throw besides jose's own errors: no key, and the JWKS unreachable. */
export class KeysUnavailableError extends Error {
  override readonly name = 'KeysUnavailableError';
  constructor(readonly retryAfterMs: number) {
    super('the JWKS cannot be fetched and no known key matches');
  }
}

export interface JwksKeysOptions {
  readonly url: string;
  /** Deadline of one fetch. */
  readonly timeoutMs: number;
  /** The shortest interval between two fetches (start of one to start of the next). */
  readonly cooldownMs: number;
  /** Keys older than this are fetched again, in the background. */
  readonly maxAgeMs: number;
  readonly clock: Clock;
}

/** What readiness reports about the keys. */
export interface JwksState {
  /** `up`: the last fetch worked; `degraded`: it failed (known keys, if any, still serve). */
  readonly status: 'up' | 'degraded';
  readonly keys: number;
  /** Why the last fetch failed, when it did. */
  readonly error?: string;
}

/** A JWKS larger than this is refused (a real one holds a handful of keys: a few KiB). */
const MAX_JWKS_BYTES = 1024 * 1024;

type LocalKeys = ReturnType<typeof createLocalJWKSet>;
type VerificationKey = Awaited<ReturnType<LocalKeys>>;

/**
 * The issuer's public keys, fetched from its JWKS and cached. jose verifies with them
 * (`createLocalJWKSet` matches a token's `kid` and `alg` to a key); this class only decides when
 * to fetch, which jose's own remote set does not let us decide in two cases that matter here:
 *
 * - **Unknown `kid`**: the JWKS is fetched again (a key may have been rotated in), but at most
 *   once per `cooldownMs`, however many tokens with unknown kids arrive; meanwhile they are
 *   refused at once, without a fetch.
 * - **Outage**: keys older than `maxAgeMs` are fetched again in the background while the old ones
 *   keep verifying; a failed fetch never drops known keys (jose's remote set would refuse every
 *   token once its cache is stale and the JWKS is unreachable). Readiness says `degraded`.
 *
 * One fetch at a time (concurrent callers share it), each under a deadline. Time comes from the
 * injected clock, so tests step through the cooldown without sleeping.
 */
export class JwksKeys {
  private readonly logger = new Logger('Auth');
  private local: LocalKeys | undefined;
  private keyCount = 0;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private failure: string | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly options: JwksKeysOptions,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  state(): JwksState {
    return this.failure === undefined
      ? { status: this.local ? 'up' : 'degraded', keys: this.keyCount }
      : { status: 'degraded', keys: this.keyCount, error: this.failure };
  }

  /** The key that verifies a token with this header (jose's key-resolver signature). */
  async getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<VerificationKey> {
    if (!this.local) await this.refresh();
    else if (this.stale() && !this.coolingDown()) void this.refresh();
    const local = this.local;
    if (!local) throw new KeysUnavailableError(this.cooldownLeftMs());
    try {
      return await local(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // A key rotated in since the last fetch? Ask once per cooldown (or join the fetch under
      // way); refuse meanwhile.
      if (this.inFlight !== undefined || !this.coolingDown()) await this.refresh();
      const fresh = this.local;
      if (fresh !== undefined && fresh !== local) return fresh(header, token);
      if (this.failure !== undefined) throw new KeysUnavailableError(this.cooldownLeftMs());
      throw error;
    }
  }

  /** Fetches the JWKS now unless a fetch is under way (then waits for that one). Never rejects. */
  refresh(): Promise<void> {
    this.inFlight ??= this.fetchKeys().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private stale(): boolean {
    return this.options.clock.now() - this.fetchedAt >= this.options.maxAgeMs;
  }

  private coolingDown(): boolean {
    return this.cooldownLeftMs() > 0;
  }

  private cooldownLeftMs(): number {
    return Math.max(0, this.attemptedAt + this.options.cooldownMs - this.options.clock.now());
  }

  private async fetchKeys(): Promise<void> {
    this.attemptedAt = this.options.clock.now();
    try {
      const jwks = await this.download();
      const local = createLocalJWKSet(jwks); // throws JWKSInvalid for a malformed set
      this.local = local;
      this.keyCount = jwks.keys.length;
      this.fetchedAt = this.options.clock.now();
      if (this.failure !== undefined) this.logger.log('JWKS available again');
      this.failure = undefined;
    } catch (error) {
      const reason = describe(error);
      if (this.failure === undefined) {
        this.logger.warn(
          `JWKS unavailable (${reason}): ${this.local ? 'the known keys keep verifying tokens' : 'no keys yet: tokens cannot be verified'}`,
        );
      }
      this.failure = reason;
    }
  }

  private async download(): Promise<JSONWebKeySet> {
    const response = await this.fetchImpl(this.options.url, {
      headers: { accept: 'application/json, application/jwk-set+json' },
      redirect: 'error',
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > MAX_JWKS_BYTES) {
      await response.body?.cancel();
      throw new Error('the JWKS is too large');
    }
    const text = await response.text();
    if (text.length > MAX_JWKS_BYTES) throw new Error('the JWKS is too large');
    const body = JSON.parse(text) as unknown;
    if (
      typeof body !== 'object' ||
      body === null ||
      !Array.isArray((body as { keys?: unknown }).keys)
    ) {
      throw new Error('not a JSON Web Key Set');
    }
    return body as JSONWebKeySet;
  }
}

function describe(error: unknown): string {
  // By name, not class: the abort is a DOMException, of another realm than Error in some hosts.
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timed out';
  if (error instanceof SyntaxError) return 'not JSON';
  if (error instanceof errors.JWKSInvalid) return 'not a valid JSON Web Key Set';
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  if (typeof cause === 'string') return cause; // ECONNREFUSED, ENOTFOUND, …
  return error instanceof Error ? error.message : String(error);
}
