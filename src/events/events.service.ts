import { Injectable } from '@nestjs/common';
import { notFound } from '../common/errors/api-error';
import { EventGateway } from '../upstream/event-gateway';
import type { Event } from '../upstream/event-api.models';

@Injectable()
export class EventsService {
  constructor(private readonly gateway: EventGateway) {}

  getEvents(): Promise<Event[]> {
    return this.gateway.getEvents();
  }

  async getEvent(id: string): Promise<Event> {
    const event = await this.gateway.getEventById(id);
    if (!event) throw notFound('EVENT_NOT_FOUND', `Event "${id}" not found`);
    return event;
  }
}
