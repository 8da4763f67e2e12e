import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import {
  DEAD_LETTERS,
  type DeadLetterPage,
  type DeadLetters,
} from '../event-requests/event-request.model';

/** What `POST /admin/event-requests/{id}/retry` answers: the create, pending again. */
export interface RetriedEventRequest {
  readonly id: string;
  readonly status: 'pending';
  readonly eventId: string;
  readonly retriedAt: string;
}

export function eventRequestNotFound(id: string): ApiError {
  return new ApiError({
    status: 404,
    code: 'EVENT_REQUEST_NOT_FOUND',
    message: `Event request "${id}" not found`,
    log: 'none',
  });
}

export function eventRequestNotFailed(id: string): ApiError {
  return new ApiError({
    status: 409,
    code: 'EVENT_REQUEST_NOT_FAILED',
    message: `Event request "${id}" is not failed (pending, delivered, or being retried): only a failed one can be retried`,
    log: 'none',
  });
}

/**
 * Operators' dead letters: failed creates listed, and retried. Every retry that moves a create back
 * to the queue is written as one audit line at warn (context `Admin`, with the request's
 * correlation id), as the breaker actions are; a refused one (404, 409) is not.
 */
@Injectable()
export class EventRequestsAdmin {
  private readonly logger = new Logger('Admin');

  constructor(@Inject(DEAD_LETTERS) private readonly letters: DeadLetters) {}

  list(limit: number, cursor?: string): Promise<DeadLetterPage> {
    return this.letters.list(limit, cursor);
  }

  async retry(id: string, clientAddress: string): Promise<RetriedEventRequest> {
    const outcome = await this.letters.retry(id);
    if (!outcome.retried) {
      throw outcome.reason === 'not-found' ? eventRequestNotFound(id) : eventRequestNotFailed(id);
    }
    this.logger.warn({
      msg: `Operator retry on event request "${id}": failed -> pending (client ${clientAddress})`,
      audit: true,
      eventRequest: id,
      eventId: outcome.eventId,
      action: 'retry',
      previousState: 'failed',
      newState: 'pending',
      clientAddress,
    });
    return { id, status: 'pending', eventId: outcome.eventId, retriedAt: outcome.retriedAt };
  }
}
