import { Inject, Injectable, Optional } from '@nestjs/common';
import { ApiError } from '../shared/errors/api-error';
import { toErrorResponse } from '../shared/errors/error-response';
import { requestContext } from '../shared/request-context';
import { EventApiError } from '../upstream/event-api.errors';
import { ACCEPTED_CREATES, type AcceptedCreates } from './accepted-creates';
import { fingerprint } from '../idempotency/idempotency-key';
import { Idempotency, type KeyClaim } from '../idempotency/idempotency.service';
import type { StoredOutcome } from '../idempotency/idempotency.store';
import type { CreateEventDto } from '../events/dto/create-event.dto';
import { EventWriter } from './event-writer';

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
    // Without Redis (or while it is away) nothing durable can be promised: the preference is not
    // applied and the create happens now (RFC 7240 lets a server ignore a preference).
    const async = respondAsync && this.deliveries !== null && this.deliveries.available;
    if (idempotencyKey === undefined) {
      return { outcome: await this.attempt(input, async, undefined), replayed: false };
    }
    const claimed = await this.idempotency.claim(idempotencyKey, fingerprint({ ...input }));
    if ('replay' in claimed) return { outcome: claimed.replay, replayed: true };
    const { claim } = claimed;
    let outcome: StoredOutcome;
    try {
      outcome = await this.attempt(input, async, claim);
    } catch (error) {
      await this.settleFailure(claim, error);
      throw error;
    }
    await this.idempotency.complete(claim, outcome);
    return { outcome, replayed: false };
  }

  private async attempt(
    input: CreateEventDto,
    async: boolean,
    claim: KeyClaim | undefined,
  ): Promise<StoredOutcome> {
    const event = this.writer.newEvent(input, claim?.eventId);
    if (async && this.deliveries) {
      // The request id follows the key: a replayed or resumed key never queues a second delivery.
      const request = await this.deliveries.enqueue(event, claim?.eventId);
      return { kind: 'accepted', request: { ...request } };
    }
    const stored = await this.writer.store(event, { mayExist: claim?.mayExist ?? false });
    return { kind: 'created', event: { ...stored.event } };
  }

  /**
   * A client error (422: the user does not exist) is a definite outcome, stored and replayed. An
   * upstream failure after sending leaves the effect unknown: the key keeps its event id and the
   * retry checks the upstream first. A failure before anything was sent (a refused write) frees
   * the key, unless an earlier attempt's effect was already unknown.
   */
  private async settleFailure(claim: KeyClaim, error: unknown): Promise<void> {
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
