import type { FastifyReply } from 'fastify';
import { IDEMPOTENT_REPLAYED_HEADER } from '../idempotency/idempotency-key';
import type { Creation } from './event-creation.service';

/** Whether a `Prefer` header (RFC 7240) asks for `respond-async`. */
export function prefersRespondAsync(prefer: string | string[] | undefined): boolean {
  const values = Array.isArray(prefer) ? prefer : prefer === undefined ? [] : [prefer];
  return values
    .flatMap((value) => value.split(','))
    .some((preference) => preference.split(';')[0].trim().toLowerCase() === 'respond-async');
}

/**
 * Turns a creation into the route's answer: `resource` routes say 201 with `Location` (202 for an
 * accepted create), the legacy route keeps the original system's 200. A replay says so.
 */
export function answerCreation(
  reply: FastifyReply,
  { outcome, replayed }: Creation,
  convention: 'resource' | 'legacy',
): unknown {
  if (replayed) void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
  switch (outcome.kind) {
    case 'created':
      if (convention === 'legacy') {
        void reply.code(200);
        return outcome.event;
      }
      void reply
        .code(201)
        .header('location', `/events/${encodeURIComponent(String(outcome.event.id))}`);
      return outcome.event;
    case 'accepted':
      void reply
        .code(202)
        .header('location', `/event-requests/${encodeURIComponent(String(outcome.request.id))}`)
        .header('preference-applied', 'respond-async');
      return outcome.request;
    case 'refused':
      void reply.code(outcome.status).headers({ ...outcome.headers });
      return outcome.body;
  }
}
