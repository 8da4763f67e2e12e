import { Inject, Injectable, Optional } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { toErrorResponse } from '../common/errors/error-response';
import { requestContext } from '../common/request-context';
import { EventApiError } from '../upstream/event-api.errors';
import { ACCEPTED_CREATES, DeliveryQueueFullError, type AcceptedCreates } from './accepted-creates';
import { fingerprint } from '../idempotency/idempotency-key';
import { Idempotency, type KeyClaim } from '../idempotency/idempotency.service';
import type { StoredOutcome } from '../idempotency/idempotency.store';
import type { CreateEventDto } from '../events/dto/create-event.dto';
import { EventWriter } from './event-writer';

/** 503 STATE_UNAVAILABLE: nothing was done (the queue module, with BullMQ, is not loaded here). */
function stateUnavailable(): ApiError {
  return new ApiError({
    status: 503,
    code: 'STATE_UNAVAILABLE',
    message:
      'An earlier attempt with this Idempotency-Key may have been queued, and the queue cannot be reached: retry shortly with the same key',
    headers: { 'Retry-After': '2' },
    log: 'none',
  });
}

export interface CreationRequest {
  readonly input: CreateEventDto;
  readonly idempotencyKey?: string;
  /** `Prefer: respond-async` on a route that may honour it. */
  readonly respondAsync: boolean;
}

export interface Creation {
  readonly outcome: StoredOutcome;
  /** The outcome is a stored one, answered again for a repeated Idempotency-Key. */
  readonly replayed: boolean;
}

/**
 * A create as the client asked for it: now (201) or accepted for delivery (202), once per
 * Idempotency-Key. Routes turn the outcome into their own status codes.
 */
@Injectable()
export class EventCreation {
  constructor(
    private readonly writer: EventWriter,
    private readonly idempotency: Idempotency,
    @Optional() @Inject(ACCEPTED_CREATES) deliveries?: AcceptedCreates,
  ) {
    this.deliveries = deliveries ?? null;
  }

  /** The queue of accepted creates; null without REDIS_URL. */
  private readonly deliveries: AcceptedCreates | null;

  /** Whether `Prefer: respond-async` can be honoured: only with a durable queue (REDIS_URL). */
  get canRespondAsync(): boolean {
    return this.deliveries !== null;
  }

  async create({ input, idempotencyKey, respondAsync }: CreationRequest): Promise<Creation> {
    if (idempotencyKey === undefined) {
      return { outcome: await this.attempt(input, respondAsync, undefined), replayed: false };
    }
    const claimed = await this.idempotency.claim(idempotencyKey, fingerprint({ ...input }));
    if ('replay' in claimed) return { outcome: claimed.replay, replayed: true };
    const { claim } = claimed;
    let outcome: StoredOutcome;
    try {
      outcome = await this.attempt(input, respondAsync, claim);
    } catch (error) {
      await this.settleFailure(claim, error);
      throw error;
    }
    await this.idempotency.complete(claim, outcome);
    return { outcome, replayed: false };
  }

  private async attempt(
    input: CreateEventDto,
    respondAsync: boolean,
    claim: KeyClaim | undefined,
  ): Promise<StoredOutcome> {
    const event = this.writer.newEvent(input, claim?.eventId);
    // Without Redis (or while it is away) nothing durable can be promised: the preference is not
    // applied and the create happens now (RFC 7240 lets a server ignore a preference). Decided
    // after the key's claim, which may have just found Redis away.
    const queue = respondAsync ? this.deliveries : null;
    if (queue && !queue.available && claim?.mayExist) {
      // An earlier attempt under this key may have queued the event: creating it now as well could
      // store it twice once that job is delivered. Nothing is done; the key keeps its event id.
      throw stateUnavailable();
    }
    if (queue?.available) {
      // The request id follows the key: a replayed or resumed key never queues a second delivery.
      // An earlier synchronous attempt under this key whose effect is unknown may have stored the
      // event: its delivery looks it up first, as the writer does.
      const request = await queue.enqueue(event, {
        eventIdForRequest: claim?.eventId,
        mayExist: claim?.mayExist ?? false,
      });
      return { kind: 'accepted', request: { ...request } };
    }
    const stored = await this.writer.store(event, { mayExist: claim?.mayExist ?? false });
    return { kind: 'created', event: { ...stored.event } };
  }

  /**
   * A client error (422: the user does not exist) is a definite outcome, stored and replayed. An
   * upstream failure after sending leaves the effect unknown: the key keeps its event id and the
   * retry checks the upstream first. A failure before anything was sent (a refused write) frees
   * the key, unless an earlier attempt's effect was already unknown. So does a full queue of
   * accepted creates (503 DELIVERY_QUEUE_FULL: nothing queued).
   */
  private async settleFailure(claim: KeyClaim, error: unknown): Promise<void> {
    if (error instanceof DeliveryQueueFullError) {
      // Refused before anything was queued or sent: the key is left as it was found, so the same
      // key, sent again once there is room, is queued then (and never replays this refusal).
      await this.idempotency.release(claim, claim.mayExist);
      return;
    }
    if (error instanceof ApiError && !(error instanceof EventApiError)) {
      const response = toErrorResponse(error, requestContext.current()?.correlationId ?? '');
      if (response.status < 500) {
        await this.idempotency.complete(claim, {
          kind: 'refused',
          status: response.status,
          body: response.body,
          headers: response.headers,
        });
        return;
      }
    }
    const effectUnknown = error instanceof EventApiError ? error.verdict.effectUnknown : true;
    // A key that already carried an unknown outcome keeps it: this attempt may have failed before
    // it could find out (a refused look-up), and forgetting would let a retry send a second event.
    await this.idempotency.release(claim, effectUnknown || claim.mayExist);
  }
}
