import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { toErrorResponse, type ErrorResponse } from '../common/errors/error-response';
import { IDEMPOTENCY_KEY_HEADER } from '../idempotency/idempotency-key';
import { EventGateway } from '../upstream/event-gateway';
import { prefersRespondAsync } from './creation-answer';
import { EventCreation } from './event-creation.service';

/** The routes that create an event (the resource path, its unversioned alias, the legacy path). */
export const CREATE_ROUTES: ReadonlySet<string> = new Set(['/v1/events', '/events', '/addEvent']);

/** The create routes that honour `Prefer: respond-async` (not the legacy path). */
const ASYNC_CREATE_ROUTES: ReadonlySet<string> = new Set(['/v1/events', '/events']);

/**
 * While the write breaker refuses writes, a create is answered 503 as soon as it arrives (the
 * request pipeline asks in onRequest): before its body is read or validated, and before any
 * upstream work (such as checking that its user exists). A refused create then costs about what a
 * route that does nothing costs, and an outage upstream cannot make the gateway spend its CPU on
 * creates that cannot be made. It reads the write breaker's state; it takes no permit.
 */
@Injectable()
export class CreateRefusal {
  constructor(
    private readonly gateway: EventGateway,
    private readonly creation: EventCreation,
  ) {}

  /** The 503 to answer at once, or `undefined` to let the request through. */
  check(request: FastifyRequest): ErrorResponse | undefined {
    const route = request.routeOptions.url ?? '';
    if (request.method !== 'POST' || !CREATE_ROUTES.has(route)) return undefined;
    // A create that may not need a write now is left to the create path: a repeated
    // Idempotency-Key may replay a stored outcome, and an async create is only queued (on
    // POST /v1/events or /events: the legacy alias never answers asynchronously).
    if (
      request.headers[IDEMPOTENCY_KEY_HEADER] !== undefined ||
      (ASYNC_CREATE_ROUTES.has(route) &&
        this.creation.canRespondAsync &&
        prefersRespondAsync(request.headers.prefer))
    ) {
      return undefined;
    }
    const refusal = this.gateway.writeRefusal();
    return refusal && toErrorResponse(refusal, request.id);
  }
}
