import { applyDecorators } from '@nestjs/common';
import { ApiHeader, type HeaderObject } from '@nestjs/swagger';

/** The `Prefer` request header of `GET /users/{id}/events` (RFC 7240 `handling`). */
export function ApiPreferHandling(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Prefer',
      required: false,
      description:
        'RFC 7240. `handling=lenient`: answer 200 with the events that could be had when some fetches fail (see `Events-Missing` and `Events-Stale`), rather than failing the whole list. `handling=strict`, no header, or any other value: a failed fetch fails the list. Other preferences may be sent alongside (`respond-async, handling=lenient`); unknown or malformed ones are ignored, never an error.',
      schema: { type: 'string', enum: ['handling=lenient', 'handling=strict'] },
    }),
  );
}

/** What the 200 says about `Prefer: handling=lenient`, after the read cache's description. */
export const LENIENT_ANSWER_DESCRIPTION =
  'With `Prefer: handling=lenient` the answer says `Preference-Applied: handling=lenient` and `Vary: Prefer`, and it may be partial: the events the gateway has, in the user’s order, the same array as ever. ' +
  'An event whose fetch failed after the retry is served from the last good copy the read cache holds (named in `Events-Stale`), or left out (named in `Events-Missing`). ' +
  'A partial answer is never stored in the read cache (`Cache-Status: event-gateway; fwd=miss`). If no event can be shown at all, or the user cannot be fetched, the answer is the error a strict request gets.';

/** The 200's headers of a lenient answer. */
export const LENIENT_ANSWER_HEADERS: Record<string, HeaderObject> = {
  'Preference-Applied': {
    description: '`handling=lenient`: the request asked for it and the answer was given leniently',
    schema: { type: 'string', enum: ['handling=lenient'], example: 'handling=lenient' },
  },
  Vary: {
    description: '`Prefer`, on the answers of lenient requests: they depend on it',
    schema: { type: 'string', example: 'Prefer' },
  },
  'Events-Missing': {
    description:
      'Partial answers only. An RFC 8941 list of the ids (strings) of the user’s events left out, in the user’s order, each with the `code` (a token, as in error bodies) of its failed fetch: `UPSTREAM_TIMEOUT`, `UPSTREAM_BAD_STATUS`, `UPSTREAM_UNREACHABLE`, `UPSTREAM_MALFORMED_RESPONSE`, `UPSTREAM_REJECTED_REQUEST`, `CIRCUIT_OPEN`, or any other code of an upstream failure.',
    schema: {
      type: 'string',
      example: '"7";code=UPSTREAM_TIMEOUT, "9";code=CIRCUIT_OPEN',
    },
  },
  'Events-Missing-Count': {
    description:
      'Partial answers only, and only when `Events-Missing` was cut short (it carries at most 4096 bytes of ids, the first ones in the user’s order): how many events are missing in all (an RFC 8941 integer).',
    schema: { type: 'string', example: '312' },
  },
  'Events-Stale-Count': {
    description:
      'As `Events-Missing-Count`, for `Events-Stale`: how many events are served from older copies in all, sent only when that list was cut short.',
    schema: { type: 'string', example: '120' },
  },
  'Events-Stale': {
    description:
      'Partial answers only. An RFC 8941 list of the ids of the user’s events whose fetch failed (`code`) and that are served from an older copy held by the read cache instead, each with the copy’s `age` in seconds.',
    schema: { type: 'string', example: '"3";code=UPSTREAM_BAD_STATUS;age=12' },
  },
};
