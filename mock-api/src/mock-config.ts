/**
 * The mock's behaviours that can be changed while it runs (`GET`/`PUT /__mock/config`), and the
 * validation of the control routes' bodies. Kept apart from the server so the rules are in one
 * readable place.
 */

/**
 * What `POST /addEvent` does:
 * - `cycle`: the real upstream's 15-call cycle (5 successes, then 10 x 503 after failureDelayMs);
 * - `ok`: always stores the event and answers 200;
 * - `fail`: always answers 503 (after failureDelayMs), stores nothing;
 * - `store-then-503`: stores the event, then answers 503 (after failureDelayMs): the effect
 *   happened but the client saw a failure;
 * - `store-then-hang`: stores the event, then never answers (the socket stays open until the
 *   client gives up or the mock closes);
 * - `hang`: never answers, stores nothing.
 */
export const ADD_EVENT_MODES = [
  'cycle',
  'ok',
  'fail',
  'store-then-503',
  'store-then-hang',
  'hang',
] as const;
export type AddEventMode = (typeof ADD_EVENT_MODES)[number];

export function isAddEventMode(value: unknown): value is AddEventMode {
  return typeof value === 'string' && (ADD_EVENT_MODES as readonly string[]).includes(value);
}

/** The behaviours `PUT /__mock/config` may change. */
export interface MockRuntimeConfig {
  /** Delay of every `GET /getEventById/:id`. */
  eventLatencyMs: number;
  /** Delay of every `GET /getUserById/:id`. */
  userLatencyMs: number;
  /** Delay of every `GET /getUsers` and `GET /getEvents`. */
  listLatencyMs: number;
  /** Delay before each failing addEvent answer (`cycle`, `fail`, `store-then-503`). */
  failureDelayMs: number;
  /** Share of list-route calls (`/getUsers`, `/getEvents`) dropped at the network level. */
  networkErrorRate: number;
  addEventMode: AddEventMode;
  /**
   * Every Nth `GET /getEventById/:id` call is a straggler: it waits `eventStragglerLatencyMs`
   * instead of `eventLatencyMs` (0: no stragglers). Counted from the start, a reset, or the last
   * `PUT /__mock/config` that set this key, so a run is reproducible.
   */
  eventStragglerEvery: number;
  /** Delay of a straggler (see `eventStragglerEvery`). */
  eventStragglerLatencyMs: number;
  /**
   * Calls in flight (every Event API route together) the upstream handles at its normal latency;
   * 0: unlimited. Past it, each call is slower and some are answered 503 (see below).
   */
  capacity: number;
  /** Added to a call's delay for every call in flight past `capacity` when it arrives. */
  overloadLatencyMsPerCall: number;
  /** Share of the calls arriving past `capacity` answered 503 (evenly spread, not random). */
  overloadErrorRate: number;
}

/** Longest delay accepted anywhere: ten minutes, as for the environment variables. */
export const MAX_DELAY_MS = 600_000;

type Rule = (value: unknown) => string | undefined;

const delay: Rule = (value) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_DELAY_MS
    ? undefined
    : `must be a number of milliseconds from 0 to ${MAX_DELAY_MS}`;

/** Largest `eventStragglerEvery` and `capacity` accepted. */
export const MAX_COUNT = 1_000_000;

const share: Rule = (value) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1
    ? undefined
    : 'must be a number from 0 to 1';

const count: Rule = (value) =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_COUNT
    ? undefined
    : `must be an integer from 0 to ${MAX_COUNT}`;

const RULES: Record<keyof MockRuntimeConfig, Rule> = {
  eventLatencyMs: delay,
  userLatencyMs: delay,
  listLatencyMs: delay,
  failureDelayMs: delay,
  networkErrorRate: share,
  addEventMode: (value) =>
    isAddEventMode(value) ? undefined : `must be one of ${ADD_EVENT_MODES.join(', ')}`,
  eventStragglerEvery: count,
  eventStragglerLatencyMs: delay,
  capacity: count,
  overloadLatencyMsPerCall: delay,
  overloadErrorRate: share,
};

export type ConfigChange =
  | { readonly ok: true; readonly change: Partial<MockRuntimeConfig> }
  | { readonly ok: false; readonly errors: string[] };

/**
 * Checks a `PUT /__mock/config` body: a JSON object whose every key is a known behaviour with a
 * valid value. Nothing is applied unless everything is valid, so a bad request changes nothing.
 */
export function parseConfigChange(body: unknown): ConfigChange {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: ['the body must be a JSON object'] };
  }
  const errors: string[] = [];
  const change: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!Object.hasOwn(RULES, key)) {
      errors.push(`${key} is not a known setting (known: ${Object.keys(RULES).join(', ')})`);
      continue;
    }
    const problem = RULES[key as keyof MockRuntimeConfig](value);
    if (problem) errors.push(`${key} ${problem}`);
    else change[key] = value;
  }
  // Every key of `change` passed its rule above, so it is a valid partial config.
  return errors.length > 0 ? { ok: false, errors } : { ok: true, change };
}

/** Most events `PUT /__mock/users/:id` creates for one user. */
export const MAX_GENERATED_EVENTS = 10_000;

export interface GeneratedUser {
  readonly userName: string;
  readonly email?: string;
  readonly eventCount: number;
}

export type GeneratedUserSpec =
  | { readonly ok: true; readonly user: GeneratedUser }
  | { readonly ok: false; readonly errors: string[] };

/** Checks `PUT /__mock/users/:id`: a numeric id (as the upstream's) and `{ userName, eventCount }`. */
export function parseGeneratedUser(id: string, body: unknown): GeneratedUserSpec {
  const errors: string[] = [];
  if (!/^\d{1,15}$/.test(id)) errors.push('the user id must be 1 to 15 digits, as upstream ids');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: [...errors, 'the body must be a JSON object'] };
  }
  const { userName, email, eventCount, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) errors.push(`unknown fields: ${unknown.join(', ')}`);
  if (typeof userName !== 'string' || userName.trim() === '') {
    errors.push('userName must be a non-empty string');
  }
  if (email !== undefined && typeof email !== 'string') errors.push('email must be a string');
  if (
    typeof eventCount !== 'number' ||
    !Number.isInteger(eventCount) ||
    eventCount < 0 ||
    eventCount > MAX_GENERATED_EVENTS
  ) {
    errors.push(`eventCount must be an integer from 0 to ${MAX_GENERATED_EVENTS}`);
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    user: {
      userName: userName as string,
      eventCount: eventCount as number,
      ...(typeof email === 'string' ? { email } : {}),
    },
  };
}
