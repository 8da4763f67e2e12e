import { Answer } from '../common/answer';
import { parsePrefer } from '../common/prefer';
import { requestContext } from '../common/request-context';
import { IDEMPOTENT_REPLAYED_HEADER } from '../idempotency/idempotency-key';
import type { Creation } from './event-creation.service';

/** Whether a `Prefer` header (RFC 7240) asks for `respond-async`. */
export function prefersRespondAsync(prefer: string | string[] | undefined): boolean {
  return parsePrefer(prefer).has('respond-async');
}

/**
 * Turns a creation into the route's answer: `resource` routes say 201 with `Location` (202 for an
 * accepted create), the legacy route keeps the original system's 200. A replay says so.
 * `Location` is under `prefix`: the version of the path the create came on (`/v1`, or none).
 */
export function answerCreation(
  { outcome, replayed }: Creation,
  convention: 'resource' | 'legacy',
  prefix = '',
): Answer<unknown> {
  const replay: Record<string, string> = replayed ? { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } : {};
  switch (outcome.kind) {
    case 'created':
      if (convention === 'legacy') return new Answer(outcome.event, replay, 200);
      return new Answer(
        outcome.event,
        { ...replay, location: `${prefix}/events/${encodeURIComponent(String(outcome.event.id))}` },
        201,
      );
    case 'accepted':
      return new Answer(
        outcome.request,
        {
          ...replay,
          location: `${prefix}/event-requests/${encodeURIComponent(String(outcome.request.id))}`,
          'preference-applied': 'respond-async',
        },
        202,
      );
    case 'refused':
      return new Answer(
        // A replayed error names the request it answers now, as its X-Correlation-Id does.
        { ...outcome.body, requestId: requestContext.current()?.correlationId ?? '' },
        { ...replay, ...outcome.headers },
        outcome.status,
      );
  }
}
