import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';

/**
 * @nestjs/throttler's guard (decorators, headers and the 429 + Retry-After contract unchanged),
 * with one budget per client across the whole API: the key is the client's address and the
 * throttler's name, not the route, so aliases and other routes cannot bypass the limit. It is also
 * cheaper than the default key, which hashes controller, handler and address on every request.
 */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    throttlerName: string,
  ): string {
    // The tracker is the client's address, which a trusted proxy's X-Forwarded-For supplies:
    // encoded, it can never be more than a name in the storage's key space.
    return `${throttlerName}:${encodeURIComponent(tracker)}`;
  }
}
