import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from '../common/errors/api-error';

/** The realm named in `WWW-Authenticate`. */
export const ADMIN_REALM = 'event-gateway-admin';

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * The operators' token, kept only as its SHA-256 digest. A presented token is hashed too and the
 * two 32-byte digests are compared with `crypto.timingSafeEqual`, so the time a comparison takes
 * reveals neither how much of a guess was right nor the token's length.
 */
export class AdminToken {
  private readonly digest: Buffer;

  constructor(token: string) {
    if (token === '') throw new Error('The admin token must not be empty');
    this.digest = sha256(token);
  }

  matches(presented: string): boolean {
    return timingSafeEqual(sha256(presented), this.digest);
  }
}

/** RFC 6750's `b64token`, the characters a bearer token may hold (ADMIN_TOKEN is validated so). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The token of an `Authorization: Bearer <token>` header, or undefined for anything else. */
export function bearerToken(authorization: string | string[] | undefined): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  return BEARER.exec(authorization)?.[1];
}

export const UNAUTHORIZED_MESSAGE =
  'This route needs the admin token: send Authorization: Bearer <ADMIN_TOKEN>';

/**
 * 401 with `WWW-Authenticate: Bearer`, naming `invalid_token` when a wrong token was given (RFC
 * 6750). Logged at warn: a refused admin call may be someone probing, which operators want to see.
 * The presented token is never part of the answer or the log line.
 */
export function unauthorized(wrongToken: boolean): ApiError {
  const challenge = `Bearer realm="${ADMIN_REALM}"`;
  return new ApiError({
    status: 401,
    code: 'UNAUTHORIZED',
    message: UNAUTHORIZED_MESSAGE,
    headers: {
      'www-authenticate': wrongToken ? `${challenge}, error="invalid_token"` : challenge,
    },
    log: 'warn',
  });
}
