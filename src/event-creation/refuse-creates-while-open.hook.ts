import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { toErrorResponse } from '../common/errors/error-response';
import { EventApiClient } from '../event-api/event-api.client';
import { IDEMPOTENCY_KEY_HEADER } from '../idempotency/idempotency-key';
import { prefersRespondAsync } from './creation-answer';
import { EventCreation } from './event-creation.service';

/** The routes that create an event (the resource path and its legacy alias). */
export const CREATE_ROUTES: ReadonlySet<string> = new Set(['/events', '/addEvent']);

/** The one create route that honours `Prefer: respond-async`. */
const ASYNC_CREATE_ROUTE = '/events';

/**
 * While the write breaker refuses writes, a create is answered 503 as soon as it arrives: before
 * its body is read or validated, and before any upstream work (such as checking that its user
 * exists). A refused create then costs about what a route that does nothing costs, and an outage
 * upstream cannot make the gateway spend its CPU on creates that cannot be made.
 */
@Injectable()
export class RefuseCreatesWhileOpenHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly eventApi: EventApiClient,
    private readonly creation: EventCreation,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, reply, done) => {
      if (request.method !== 'POST' || !CREATE_ROUTES.has(request.routeOptions.url ?? '')) {
        done();
        return;
      }
      // A create that may not need a write now is left to the create path: a repeated
      // Idempotency-Key may replay a stored outcome, and an async create is only queued (on
      // POST /events: the legacy alias never answers asynchronously).
      if (
        request.headers[IDEMPOTENCY_KEY_HEADER] !== undefined ||
        (request.routeOptions.url === ASYNC_CREATE_ROUTE &&
          this.creation.canRespondAsync &&
          prefersRespondAsync(request.headers.prefer))
      ) {
        done();
        return;
      }
      const refusal = this.eventApi.writeRefusal();
      if (!refusal) {
        done();
        return;
      }
      const { status, headers, body } = toErrorResponse(refusal, request.id);
      void reply.code(status).headers(headers).send(body);
    });
  }
}
