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
   * Creates an event and returns it as stored, under an id the gateway chose (a UUID, so it can be
   * named in `Location` and never collides). A refused write is refused first, before any upstream
   * work; then the owner must exist upstream (else 422, nothing written).
   */
  async createEvent(input: CreateEventDto): Promise<Event> {
    this.eventApi.assertWritable();
    const owner = await this.eventApi.getUserById(input.userId);
    if (!owner) {
      throw new ApiError({
        status: 422,
        code: 'UNKNOWN_USER',
        message: `User "${input.userId}" does not exist`,
        log: 'none',
      });
    }
    const event: Event = {
      id: randomUUID(),
      name: input.name,
      userId: input.userId,
      // `details: null` is allowed in (optional) but never sent on: the event simply has none.
      ...(input.details == null ? {} : { details: input.details }),
    };
    try {
      await this.eventApi.addEvent(event);
    } finally {
      // Read-your-writes, on every replica. Also after a failure whose effect upstream is unknown:
      // the event may have been stored.
      await this.cache.invalidate(CacheKeys.changedByCreate(event.userId));
    }
    return event;
  }
}
