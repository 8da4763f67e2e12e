import { type Type } from '@nestjs/common';
import { ApiOkResponse, type HeaderObject } from '@nestjs/swagger';

/**
 * The 200 of a read served through the read cache: it may be stale, and says so. A route adds
 * what it answers on top: its `description` after the cache's, and its own `headers`.
 */
export function ApiCachedRead(options: {
  type: Type<unknown> | [Type<unknown>];
  description?: string;
  headers?: Record<string, HeaderObject>;
}): MethodDecorator {
  return ApiOkResponse({
    type: options.type,
    description:
      'The answer may come from the read cache, and may be stale: while the Event API fails or its breaker is open, a copy up to READ_CACHE_STALE_IF_ERROR_MS past its freshness is served. ' +
      '`Cache-Status` (RFC 9211) tells which: `event-gateway; hit; ttl=N` (fresh for N more seconds), `event-gateway; hit; ttl=-N` (stale by N seconds: the upstream just failed), `event-gateway; fwd=miss; stored` (asked the upstream now). `Age` gives the copy’s age in seconds.' +
      (options.description ? ` ${options.description}` : ''),
    headers: {
      'Cache-Status': {
        description: 'How the read cache answered (RFC 9211)',
        required: true,
        schema: { type: 'string', example: 'event-gateway; hit; ttl=3' },
      },
      Age: {
        description: 'Seconds since the Event API answered (cache hits only)',
        schema: { type: 'integer', example: 2 },
      },
      ...options.headers,
    },
  });
}
