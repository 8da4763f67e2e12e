import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../auth/principal';
import type { GatewayConfig } from '../common/config/gateway-config';
import { ApiError } from '../common/errors/api-error';
import { toErrorResponse, type ErrorResponse } from '../common/errors/error-response';
import { PROBE_ROUTES } from '../common/probe-routes';
import {
  InMemoryThrottlerStorage,
  type ThrottlerStorageRecord,
} from './in-memory-throttler.storage';

/**
 * Whose budget a request spends: the verified subject of its bearer token when authentication is
 * on (every caller behind one proxy gets its own budget, and one caller one budget from any
 * address), else the client's address (a trusted proxy's X-Forwarded-For supplies it). Encoded,
 * either is never more than a name in the storage's key space; `sub:` cannot begin an encoded
 * address (an IPv6 address's colons are encoded).
 */
function clientOf(request: FastifyRequest): string {
  const principal = principalOf(request);
  return principal
    ? `sub:${encodeURIComponent(principal.subject)}`
    : encodeURIComponent(request.ip);
}

/** Injection token of the counters' storage (memory, or Redis with a memory fallback). */
export const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');

/** The counters' name, as @nestjs/throttler named its default limit (keys keep their form). */
const LIMIT_NAME = 'default';

/**
 * One budget per client (`clientOf`) across the whole API: every request counts, whatever its route or
 * answer (a scan of unknown paths, a 405, a 415, malformed JSON and /docs included); probes and
 * /metrics do not. The request pipeline asks in onRequest, before anything else can answer. The
 * contract is @nestjs/throttler's: `X-RateLimit-Limit`, `-Remaining` and `-Reset` on every counted
 * answer, and past the limit 429 with `Retry-After` in the common error body.
 */
@Injectable()
export class ClientRateLimit {
  private readonly limit: number;
  private readonly limitHeader: string;
  private readonly ttlMs: number;

  constructor(
    @Inject(RATE_LIMIT_STORAGE) private readonly storage: ThrottlerStorage,
    config: ConfigService<GatewayConfig, true>,
  ) {
    const security = config.get('security', { infer: true });
    this.limit = security.rateLimitMax;
    this.limitHeader = String(this.limit);
    this.ttlMs = security.rateLimitTtlMs;
  }

  /**
   * Counts the request: sets its rate-limit headers, or gives the 429 to answer. At once when the
   * counters are in this process's memory; a promise when they are in Redis.
   */
  check(
    request: FastifyRequest,
    reply: FastifyReply,
  ): ErrorResponse | undefined | Promise<ErrorResponse | undefined> {
    const route = request.routeOptions.url;
    if (route !== undefined && PROBE_ROUTES.has(route)) return undefined;
    const key = `${LIMIT_NAME}:${clientOf(request)}`;
    if (this.storage instanceof InMemoryThrottlerStorage) {
      const record = this.storage.incrementNow(key, this.ttlMs, this.limit, this.ttlMs);
      return this.verdict(record, request, reply);
    }
    return this.storage
      .increment(key, this.ttlMs, this.limit, this.ttlMs, LIMIT_NAME)
      .then((record) => this.verdict(record, request, reply));
  }

  private verdict(
    { totalHits, timeToExpire, isBlocked, timeToBlockExpire }: ThrottlerStorageRecord,
    request: FastifyRequest,
    reply: FastifyReply,
  ): ErrorResponse | undefined {
    if (isBlocked) {
      return toErrorResponse(
        new ApiError({
          status: 429,
          code: 'RATE_LIMITED',
          message: 'Too many requests: retry after the number of seconds in Retry-After',
          headers: { 'retry-after': String(timeToBlockExpire) },
          log: 'none',
        }),
        request.id,
      );
    }
    void reply
      .header('x-ratelimit-limit', this.limitHeader)
      .header('x-ratelimit-remaining', `${Math.max(0, this.limit - totalHits)}`)
      .header('x-ratelimit-reset', `${timeToExpire}`);
    return undefined;
  }
}
