/** A user as the gateway serves it, whatever shape the upstream used. */
export interface User {
  readonly id: string;
  readonly name: string;
  readonly email?: string;
  /** Ids of the user's events, as strings, in the upstream's order. */
  readonly events: readonly string[];
}

/** An event as the gateway serves it. */
export interface Event {
  readonly id: string;
  readonly name: string;
  readonly userId: string;
  readonly details?: string;
}

/** What the gateway sends upstream to create an event (it chooses `id` itself). */
export interface NewEvent {
  readonly id: string;
  readonly name: string;
  readonly userId: string;
  readonly details?: string;
}
