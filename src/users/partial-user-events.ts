import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Answer } from '../common/answer';
import type { GatewayConfig } from '../common/config/gateway-config';
import type { ErrorCode } from '../common/errors/error-codes';
import type { Event } from '../upstream/event-api.models';
import { CacheKeys, ReadCache, type HeldEntry } from '../read-cache/read-cache.service';
import { mapWithConcurrency } from './map-with-concurrency';
import { UsersService, type EventOrHole } from './users.service';

type Fetched = Extract<EventOrHole, { kind: 'event' }>;
type Hole = Extract<EventOrHole, { kind: 'hole' }>;

/** Response headers of a lenient answer (RFC 7240 `Preference-Applied`; RFC 8941 lists). */
export const LENIENT_HEADERS = {
  preferenceApplied: 'preference-applied',
  missing: 'events-missing',
  stale: 'events-stale',
  /** How many there are in all, sent only when its list was cut short (RFC 8941 integers). */
  missingCount: 'events-missing-count',
  staleCount: 'events-stale-count',
} as const;

/**
 * The most bytes of ids one list header carries. Node's HTTP clients refuse answers whose headers
 * pass 16 KiB in all (HPE_HEADER_OVERFLOW), and a user may have hundreds of events: a longer list
 * names the first ones, in the user's order, and its count header says how many there are.
 */
export const MAX_GAP_LIST_BYTES = 4096;

/** `Preference-Applied` of every answer given leniently. */
export const HANDLING_LENIENT = 'handling=lenient';

/** An event left out of the answer: its fetch failed and no copy of it is held. */
export interface MissingEvent {
  readonly id: string;
  readonly code: ErrorCode;
}

/** An event served from the read cache because its fetch failed. */
export interface StaleEvent {
  readonly id: string;
  readonly code: ErrorCode;
  /** Whole seconds since the upstream answered with this copy. */
  readonly ageSeconds: number;
}

/** What a partial answer lacks: the ids missing, and those served from older copies. */
export interface Gaps {
  readonly missing: readonly MissingEvent[];
  readonly stale: readonly StaleEvent[];
}

/** A user's events with the holes left by failed fetches filled where a copy is held. */
export interface PartialEvents {
  readonly events: Event[];
  /** Absent when every event was fetched now: the answer is complete. */
  readonly gaps?: Gaps;
}

/**
 * A user's events for `Prefer: handling=lenient` (RFC 7240): events whose fetches fail after
 * retries are holes, not the failure of the list. A hole is filled with the last good copy of the
 * event the read cache holds (its own entry, the one `GET /events/:id` uses, or the user's cached
 * list, whichever is younger) and reported in `Events-Stale`; one with no copy is left out and
 * reported in `Events-Missing`. A partial answer is never stored, so neither a strict request nor
 * a later lenient one is ever served it; a complete one is stored and served as usual.
 */
@Injectable()
export class PartialUserEvents {
  private readonly logger = new Logger('Users');
  private readonly maxConcurrency: number;

  constructor(
    private readonly users: UsersService,
    private readonly cache: ReadCache,
    config: ConfigService<GatewayConfig, true>,
  ) {
    this.maxConcurrency = config.get('upstream.maxConcurrency', { infer: true });
  }

  /** The route's answer: the events in the user's order, with the read cache's headers and the gaps'. */
  async serve(userId: string): Promise<Answer<Event[]>> {
    let gaps: Gaps | undefined;
    const answer = await this.cache.serve(
      CacheKeys.userEvents(userId),
      async () => {
        const partial = await this.load(userId);
        gaps = partial.gaps;
        return partial.events;
      },
      { storable: () => gaps === undefined },
    );
    if (gaps) this.logger.warn(describeGaps(userId, gaps));
    return new Answer(answer.body, {
      ...answer.headers,
      [LENIENT_HEADERS.preferenceApplied]: HANDLING_LENIENT,
      vary: 'Prefer',
      ...(gaps ? gapHeaders(gaps) : {}),
    });
  }

  /**
   * The user's events, holes filled from the read cache where it can. Throws the first failure
   * (in the user's order) when there is nothing to show: every fetch failed or found nothing, and
   * no copy is held (a client is better told why, with `Retry-After` where there is one, than
   * sent an empty list).
   */
  async load(userId: string): Promise<PartialEvents> {
    const parts = await this.users.getUserEventsLeniently(userId);
    const holes = parts.filter((part): part is Hole => part.kind === 'hole');
    if (holes.length === 0) return { events: parts.map((part) => (part as Fetched).event) };
    const copies = await this.copies(
      userId,
      holes.map((hole) => hole.id),
    );
    const events: Event[] = [];
    const missing: MissingEvent[] = [];
    const stale: StaleEvent[] = [];
    for (const part of parts) {
      if (part.kind === 'event') {
        events.push(part.event);
        continue;
      }
      const code = part.error.toProblem().code;
      const copy = copies.get(part.id);
      if (copy) {
        events.push(copy.event);
        stale.push({ id: part.id, code, ageSeconds: Math.floor(copy.ageMs / 1000) });
      } else {
        missing.push({ id: part.id, code });
      }
    }
    if (events.length === 0) throw holes[0].error;
    return { events, gaps: { missing, stale } };
  }

  /** The youngest copy the read cache holds of each of `ids`. */
  private async copies(
    userId: string,
    ids: readonly string[],
  ): Promise<Map<string, { event: Event; ageMs: number }>> {
    const list = await this.cache.peek(CacheKeys.userEvents(userId));
    const inList = new Map<string, Event>();
    if (list && Array.isArray(list.value)) {
      for (const event of list.value as unknown[]) {
        if (isEvent(event)) inList.set(event.id, event);
      }
    }
    const own = await mapWithConcurrency(ids, this.maxConcurrency, (id) =>
      this.cache.peek(CacheKeys.event(id)),
    );
    const copies = new Map<string, { event: Event; ageMs: number }>();
    ids.forEach((id, index) => {
      const candidates = [
        ownCopy(id, own[index]),
        list && inList.has(id) ? { event: inList.get(id)!, ageMs: list.ageMs } : undefined,
      ].filter((copy) => copy !== undefined);
      candidates.sort((a, b) => a.ageMs - b.ageMs);
      if (candidates.length > 0) copies.set(id, candidates[0]);
    });
    return copies;
  }
}

function ownCopy(
  id: string,
  held: HeldEntry | undefined,
): { event: Event; ageMs: number } | undefined {
  return held && isEvent(held.value) && held.value.id === id
    ? { event: held.value, ageMs: held.ageMs }
    : undefined;
}

function isEvent(value: unknown): value is Event {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { id?: unknown }).id === 'string'
  );
}

/** An RFC 8941 token where the code is one (every ErrorCode is), else a string. */
function codeItem(code: string): string {
  return /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*$/.test(code) ? code : sfString(code);
}

/** An RFC 8941 string (ids are letters, digits, `_` and `-`; escaped all the same). */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

/**
 * `Events-Missing` and `Events-Stale`, RFC 8941 lists of the ids (strings) in the user's order,
 * each with the error `code` of its failed fetch, and for a stale copy its `age` in seconds:
 * `Events-Missing: "7";code=UPSTREAM_TIMEOUT`, `Events-Stale: "3";code=CIRCUIT_OPEN;age=12`.
 * Each list is at most MAX_GAP_LIST_BYTES long; one cut short is followed by its count header.
 */
export function gapHeaders(gaps: Gaps): Record<string, string> {
  const headers: Record<string, string> = {};
  const add = (name: string, countName: string, items: string[]) => {
    if (items.length === 0) return;
    let list = items[0].length <= MAX_GAP_LIST_BYTES ? items[0] : '';
    let named = list === '' ? 0 : 1;
    for (; named < items.length; named += 1) {
      if (list.length + 2 + items[named].length > MAX_GAP_LIST_BYTES) break;
      list += `, ${items[named]}`;
    }
    if (list !== '') headers[name] = list;
    if (named < items.length) headers[countName] = String(items.length);
  };
  add(
    LENIENT_HEADERS.missing,
    LENIENT_HEADERS.missingCount,
    gaps.missing.map(({ id, code }) => `${sfString(id)};code=${codeItem(code)}`),
  );
  add(
    LENIENT_HEADERS.stale,
    LENIENT_HEADERS.staleCount,
    gaps.stale.map(
      ({ id, code, ageSeconds }) => `${sfString(id)};code=${codeItem(code)};age=${ageSeconds}`,
    ),
  );
  return headers;
}

/** At most this many ids of each kind are named in the log line (the headers name them all). */
const LOGGED_IDS = 10;

function describeGaps(userId: string, gaps: Gaps): string {
  const list = (items: string[]) =>
    items.length === 0
      ? ''
      : ` [${items.slice(0, LOGGED_IDS).join(', ')}${items.length > LOGGED_IDS ? ', …' : ''}]`;
  const missing = gaps.missing.map(({ id, code }) => `${id} ${code}`);
  const stale = gaps.stale.map(({ id, code, ageSeconds }) => `${id} ${code} ${ageSeconds} s old`);
  return (
    `Events of user "${userId}" answered in part (Prefer: handling=lenient): ` +
    `${missing.length} missing${list(missing)}, ${stale.length} from the read cache${list(stale)}`
  );
}
