import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { principalOf } from '../auth/principal';

/**
 * @nestjs/throttler's guard (decorators, headers and the 429 + Retry-After contract unchanged),
 * with one budget per client across the whole API: the key is the client and the throttler's
 * name, not the route, so aliases and other routes cannot bypass the limit. It is also cheaper
 * than the default key, which hashes controller, handler and address on every request.
 *
 * The client is the verified subject of the request's bearer token when authentication is on
 * (every caller behind one proxy gets its own budget, and one caller gets one budget from any
 * address), else the client's address.
 */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const principal = principalOf(request as unknown as FastifyRequest);
    // `sub:` cannot begin an encoded address (an IPv6 address's colons are encoded below).
    return principal ? `sub:${principal.subject}` : super.getTracker(request);
  }

  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    throttlerName: string,
  ): string {
    // The tracker is the subject, or the client's address, which a trusted proxy's X-Forwarded-For
    // supplies: encoded, it can never be more than a name in the storage's key space.
    if (tracker.startsWith('sub:')) {
      return `${throttlerName}:sub:${encodeURIComponent(tracker.slice(4))}`;
    }
    return `${throttlerName}:${encodeURIComponent(tracker)}`;
  }
}
