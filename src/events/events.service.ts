import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ApiError, notFound } from '../common/errors/api-error';
import { EventApiClient } from '../event-api/event-api.client';
import type { Event } from '../event-api/event-api.models';
import { CacheKeys } from '../read-cache/cache-keys';
import { ReadCache } from '../read-cache/read-cache.service';
import type { CreateEventDto } from './dto/create-event.dto';

@Injectable()
export class EventsService {
  constructor(
    private readonly eventApi: EventApiClient,
    private readonly cache: ReadCache,
  ) {}

  getEvents(): Promise<Event[]> {
    return this.eventApi.getEvents();
  }

  async getEvent(id: string): Promise<Event> {
    const event = await this.eventApi.getEventById(id);
    if (!event) throw notFound('EVENT_NOT_FOUND', `Event "${id}" not found`);
    return event;
  }

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

  /** Creates an event under a new id and returns it as stored. */
  async createEvent(input: CreateEventDto): Promise<Event> {
    return (await this.store(this.newEvent(input), { mayExist: false })).event;
  }

  /**
   * Makes sure `event` is stored upstream, once. When an earlier attempt under the same id ended
   * without knowing whether the upstream stored it (`mayExist`), the upstream is asked first, and
   * the event is sent only if it does not have it (`sent: false`: it was there). Otherwise: a
   * refused write is refused before any upstream work, the owner must exist upstream (else 422,
   * nothing written), then it is sent.
   */
  async store(
    event: Event,
    { mayExist }: { mayExist: boolean },
  ): Promise<{ readonly event: Event; readonly sent: boolean }> {
    if (mayExist) {
      const existing = await this.eventApi.getEventById(event.id);
      if (existing) return { event: existing, sent: false };
    }
    this.eventApi.assertWritable();
    const owner = await this.eventApi.getUserById(event.userId);
    if (!owner) {
      throw new ApiError({
        status: 422,
        code: 'UNKNOWN_USER',
        message: `User "${event.userId}" does not exist`,
        log: 'none',
      });
    }
    try {
      await this.eventApi.addEvent(event);
    } finally {
      // Read-your-writes, on every replica. Also after a failure whose effect upstream is unknown:
      // the event may have been stored.
      await this.cache.invalidate(CacheKeys.changedByCreate(event.userId));
    }
    return { event, sent: true };
  }
}
