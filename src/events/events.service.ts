import { Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import type { Event } from '../upstream/event-api.models';
import { EventGateway } from '../upstream/event-gateway';
import type { CreateEventDto } from './dto/create-event.dto';

@Injectable()
export class EventsService {
  constructor(private readonly gateway: EventGateway) {}

  getEvents(): Promise<Event[]> {
    return this.gateway.getEvents();
  }

  async getEvent(id: string): Promise<Event> {
    const event = await this.gateway.getEventById(id);
    if (!event) throw new NotFoundException(`Event "${id}" not found`);
    return event;
  }

  /**
   * The user's events, fetched concurrently (each distinct id once), in the user's order. Ids the
   * upstream no longer knows are left out rather than failing the whole list.
   */
  async getEventsForUser(userId: string): Promise<Event[]> {
    const user = await this.gateway.getUserById(userId);
    if (!user) throw new NotFoundException(`User "${userId}" not found`);
    const events = await this.gateway.getEventsByIds(user.events, user.id);
    return [...events.values()].filter((event): event is Event => event !== null);
  }

  /** Checks the owner exists upstream first: an unknown `userId` is the client's mistake (422). */
  async createEvent(input: CreateEventDto): Promise<Event> {
    const owner = await this.gateway.getUserById(input.userId);
    if (!owner) throw new UnprocessableEntityException(`User "${input.userId}" does not exist`);
    return this.gateway.addEvent({
      name: input.name,
      userId: input.userId,
      // `details: null` is allowed in (optional) but never sent on: the event simply has none.
      ...(input.details == null ? {} : { details: input.details }),
    });
  }
}
