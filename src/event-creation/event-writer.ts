import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ApiError } from '../common/errors/api-error';
import type { CreateEventDto } from '../events/dto/create-event.dto';
import { CacheKeys, ReadCache } from '../read-cache/read-cache.service';
import type { Event } from '../upstream/event-api.models';
import { EventGateway } from '../upstream/event-gateway';

/**
 * The write path of a create, shared by the create routes (now) and the delivery worker (accepted
 * creates): build the event, make sure it is stored upstream once, forget what it changes in the
 * read cache.
 */
@Injectable()
export class EventWriter {
  constructor(
    private readonly gateway: EventGateway,
    private readonly cache: ReadCache,
  ) {}

  /**
   * The event a validated body describes, under an id the gateway chose (a UUID, so it can be
   * named in `Location` and never collides) unless one is given (a retry reuses its key's id).
   */
  newEvent(input: CreateEventDto, id: string = randomUUID()): Event {
    return {
      id,
      name: input.name,
      userId: input.userId,
      // `details: null` is allowed in (optional) but never sent on: the event simply has none.
      ...(input.details == null ? {} : { details: input.details }),
    };
  }

  /**
   * Makes sure `event` is stored upstream, once. When an earlier attempt under the same id ended
   * without knowing whether the upstream stored it (`mayExist`), the upstream is asked first, and
   * the event is sent only if it does not have it (`sent: false`: it was there). Otherwise: a
   * write the breaker would refuse is refused before any upstream work, the owner must exist
   * upstream (else 422, nothing written), then it is sent.
   */
  async store(
    event: Event,
    { mayExist }: { mayExist: boolean },
  ): Promise<{ readonly event: Event; readonly sent: boolean }> {
    if (mayExist) {
      const existing = await this.gateway.getEventById(event.id);
      if (existing) return { event: existing, sent: false };
    }
    const refusal = this.gateway.writeRefusal();
    if (refusal) throw refusal;
    const owner = await this.gateway.getUserById(event.userId);
    if (!owner) {
      throw new ApiError({
        status: 422,
        code: 'UNKNOWN_USER',
        message: `User "${event.userId}" does not exist`,
        log: 'none',
      });
    }
    try {
      await this.gateway.addEvent(event);
    } finally {
      // Read-your-writes, on every replica. Also after a failure whose effect upstream is unknown:
      // the event may have been stored.
      await this.cache.invalidate(CacheKeys.changedByCreate(event.userId));
    }
    return { event, sent: true };
  }
}
