import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { notFound } from '../common/errors/api-error';
import type { GatewayConfig } from '../common/config/gateway-config';
import { EventGateway } from '../upstream/event-gateway';
import { EventApiError } from '../upstream/event-api.errors';
import type { Event, User } from '../upstream/event-api.models';
import { mapWithConcurrency } from './map-with-concurrency';

/** One of a user's events as a lenient fetch found it: the event, or the failure of its fetch. */
export type EventOrHole =
  | { readonly kind: 'event'; readonly event: Event }
  | { readonly kind: 'hole'; readonly id: string; readonly error: EventApiError };

@Injectable()
export class UsersService {
  private readonly maxConcurrency: number;

  constructor(
    private readonly eventApi: EventGateway,
    config: ConfigService<GatewayConfig, true>,
  ) {
    this.maxConcurrency = config.get('upstream.maxConcurrency', { infer: true });
  }

  getUsers(): Promise<User[]> {
    return this.eventApi.getUsers();
  }

  async getUser(id: string): Promise<User> {
    const user = await this.eventApi.getUserById(id);
    if (!user) throw notFound('USER_NOT_FOUND', `User "${id}" not found`);
    return user;
  }

  /**
   * The user's events in the user's order: each distinct id fetched once, at most
   * `UPSTREAM_MAX_CONCURRENCY` at a time. Ids the upstream no longer knows are left out; any other
   * failure fails the whole list (no silent partial answers).
   */
  async getUserEvents(userId: string): Promise<Event[]> {
    const user = await this.getUser(userId);
    const distinct = [...new Set(user.events)];
    const events = await mapWithConcurrency(distinct, this.maxConcurrency, (id) =>
      this.eventApi.getEventById(id, user.id),
    );
    return events.filter((event): event is Event => event !== null);
  }

  /**
   * `getUserEvents` for `Prefer: handling=lenient`: an event whose fetch fails upstream (any
   * `EventApiError`: a status, the network, a timeout, a malformed body, a refusal) is a hole in
   * the list rather than the failure of it, and every other fetch still runs. Fails as
   * `getUserEvents` does when the user cannot be fetched, and on any other error (a bug).
   */
  async getUserEventsLeniently(userId: string): Promise<EventOrHole[]> {
    const user = await this.getUser(userId);
    const distinct = [...new Set(user.events)];
    const parts = await mapWithConcurrency(
      distinct,
      this.maxConcurrency,
      (id): Promise<EventOrHole | null> =>
        this.eventApi.getEventById(id, user.id).then(
          (event) => (event === null ? null : { kind: 'event', event }),
          (error: unknown) => {
            if (error instanceof EventApiError) return { kind: 'hole', id, error };
            throw error;
          },
        ),
    );
    return parts.filter((part): part is EventOrHole => part !== null);
  }
}
