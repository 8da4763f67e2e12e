import { isValidId } from '../common/ids';
import type { Event, User } from './event-api.models';
import { UpstreamMalformedResponseError } from './event-api.errors';

// The upstream's bodies are untrusted: every field is checked and normalised here, and anything
// unusable becomes an UpstreamMalformedResponseError (a 502, and a failure for the breaker).

type Json = Record<string, unknown>;

/** Upper bounds on upstream strings, so a broken upstream cannot make the gateway serve megabytes. */
const MAX_NAME_LENGTH = 1000;
const MAX_TEXT_LENGTH = 10_000;

function malformed(reason: string): never {
  throw new UpstreamMalformedResponseError(reason);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The upstream signals "no such record" with an empty 200 body (or, if fixed, a 404). */
export function isAbsentBody(data: unknown): boolean {
  return (
    data === undefined ||
    data === null ||
    (typeof data === 'string' && data.trim() === '') ||
    (isObject(data) && Object.keys(data).length === 0)
  );
}

/** Ids arrive as numbers or strings; the gateway serves them as strings. */
function toId(value: unknown, field: string): string {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (isValidId(value)) return value;
  return malformed(`${field} is not a valid id`);
}

function toText(value: unknown, field: string, maxLength: number): string {
  if (typeof value !== 'string' || value.trim() === '')
    return malformed(`${field} is not a non-empty string`);
  if (value.length > maxLength) return malformed(`${field} is longer than ${maxLength} characters`);
  return value;
}

function toOptionalText(value: unknown, field: string, maxLength: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  return toText(value, field, maxLength);
}

export function parseUser(data: unknown, requestedId?: string): User {
  if (!isObject(data)) return malformed('user is not an object');
  const rawEvents = data.events ?? [];
  if (!Array.isArray(rawEvents)) return malformed('user.events is not an array');
  const email =
    data.email === '' ? undefined : toOptionalText(data.email, 'user.email', MAX_NAME_LENGTH);
  return {
    id: requestedId ?? toId(data.id, 'user.id'),
    name: toText(data.userName ?? data.name, 'user.userName', MAX_NAME_LENGTH),
    ...(email === undefined ? {} : { email }),
    events: rawEvents.map((id, index) => toId(id, `user.events[${index}]`)),
  };
}

/**
 * @param requestedId the id the event was fetched by: the upstream's own `id` is not always
 *   consistent with it, and the gateway names an event by the id it asked for.
 * @param fallbackUserId used when the body names no owner (the user it was listed under).
 */
export function parseEvent(data: unknown, requestedId?: string, fallbackUserId?: string): Event {
  if (!isObject(data)) return malformed('event is not an object');
  const details = toOptionalText(data.details, 'event.details', MAX_TEXT_LENGTH);
  const rawUserId = data.userId ?? fallbackUserId;
  return {
    id: requestedId ?? toId(data.id, 'event.id'),
    name: toText(data.name, 'event.name', MAX_NAME_LENGTH),
    userId: toId(rawUserId, 'event.userId'),
    ...(details === undefined ? {} : { details }),
  };
}

export function parseList<T>(data: unknown, what: string, parseItem: (item: unknown) => T): T[] {
  if (!Array.isArray(data)) return malformed(`${what} is not an array`);
  return data.map(parseItem);
}

export const parseUserList = (data: unknown): User[] =>
  parseList(data, 'user list', (item) => parseUser(item));

export const parseEventList = (data: unknown): Event[] =>
  parseList(data, 'event list', (item) => parseEvent(item));

/** A parser for a record that may be absent: an absent body (see `isAbsentBody`) gives `null`. */
export function optional<T>(parse: (data: unknown) => T): (data: unknown) => T | null {
  return (data) => (isAbsentBody(data) ? null : parse(data));
}

/**
 * Accepts `{ success: true }` (the upstream's answer), an empty body, or an object without
 * `success`. `success: false` is a refusal; any other `success` (`"yes"`, `1`) is no
 * acknowledgement either, and leaves the write's effect unknown.
 */
export function parseWriteAcknowledgement(data: unknown): void {
  if (isAbsentBody(data)) return;
  if (!isObject(data)) return malformed('write acknowledgement is not an object');
  if (data.success === false) return malformed('write acknowledgement says success: false');
  if ('success' in data && data.success !== true) {
    // Neither yes nor no: the event may have been stored (a retry with the key checks first).
    throw new UpstreamMalformedResponseError(
      'write acknowledgement has a success that is not true',
      {
        effectUnknown: true,
      },
    );
  }
}
