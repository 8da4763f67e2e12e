import { createHash } from 'node:crypto';
import { ApiError } from '../common/errors/api-error';

/** The request header (IETF httpapi draft "The Idempotency-Key HTTP Header Field"). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Set on an answer that repeats a stored outcome. */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

const KEY = /^[\x20-\x7e]{1,255}$/;

/**
 * The key a client sent, or `undefined` when it sent none. The draft's form is a structured-field
 * string (`"…"`); a bare token is accepted too. 1–255 printable ASCII characters, else 400.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const raw = Array.isArray(header) ? header.join(',') : header;
  const quoted = /^"(.*)"$/.exec(raw.trim());
  const key = quoted ? quoted[1].replace(/\\(["\\])/g, '$1') : raw.trim();
  if (!KEY.test(key) || key.trim() === '') {
    throw new ApiError({
      status: 400,
      code: 'INVALID_IDEMPOTENCY_KEY',
      message: 'Idempotency-Key must be 1 to 255 printable ASCII characters',
      log: 'none',
    });
  }
  return key;
}

/** A canonical fingerprint of a validated body: the same fields and values give the same one. */
export function fingerprint(body: Readonly<Record<string, unknown>>): string {
  const canonical = JSON.stringify(
    Object.keys(body)
      .filter((field) => body[field] !== undefined && body[field] !== null)
      .sort()
      .map((field) => [field, body[field]]),
  );
  return createHash('sha256').update(canonical).digest('base64url');
}
