import type { FastifyRequest } from 'fastify';
import { errors, jwtVerify, type JWSAlgorithm } from 'jose';
import { bearerToken } from '../admin/admin-token';
import type { AuthConfig } from '../common/config/gateway-config';
import { toErrorResponse, type ErrorResponse } from '../common/errors/error-response';
import { serverSpanOf } from '../tracing/server-spans';
import {
  authenticationRequired,
  insufficientScope,
  invalidToken,
  keysUnavailable,
} from './bearer-errors';
import { KeysUnavailableError, type JwksKeys } from './jwks-keys';
import { setPrincipal, type Authenticator, type Principal } from './principal';

/**
 * Asymmetric signatures only. `none` and the HMAC family (HS256, …) are refused before any key is
 * looked up: with HMAC, a forger could sign with the issuer's *public* key as the secret.
 */
export const ACCEPTED_ALGORITHMS: readonly JWSAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** A subject longer than this is refused: it becomes a rate-limit key and a log field. */
const MAX_SUBJECT_LENGTH = 255;

/**
 * Verifies JWT access tokens (RFC 9068 style) against the issuer's JWKS with jose: signature,
 * algorithm, `iss`, `aud`, `exp` and `nbf` (with AUTH_CLOCK_TOLERANCE_S of leeway), and a `sub`.
 * Scopes come from the standard `scope` claim (space-separated). A verified request gets its
 * principal (subject and scopes) recorded beside it, and its subject on the SERVER span; the token
 * itself is never logged, traced or echoed.
 */
export class JwtAuthenticator implements Authenticator {
  constructor(
    private readonly config: AuthConfig,
    private readonly keys: JwksKeys,
  ) {}

  async authenticate(
    request: FastifyRequest,
    scope: string | undefined,
  ): Promise<ErrorResponse | undefined> {
    try {
      const principal = await this.verify(request.headers.authorization);
      setPrincipal(request, principal);
      serverSpanOf(request)?.setAttribute('user.id', principal.subject);
      if (scope !== undefined && !principal.scopes.has(scope)) throw insufficientScope(scope);
      return undefined;
    } catch (error) {
      return toErrorResponse(error, request.id);
    }
  }

  private async verify(authorization: string | string[] | undefined): Promise<Principal> {
    if (authorization === undefined || !isBearer(authorization)) throw authenticationRequired();
    const token = bearerToken(authorization);
    if (token === undefined) throw invalidToken('The Authorization header is not Bearer <token>');
    try {
      const { payload } = await jwtVerify(token, (header, jws) => this.keys.getKey(header, jws), {
        algorithms: [...ACCEPTED_ALGORITHMS],
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTolerance: this.config.clockToleranceS,
        requiredClaims: ['exp', 'sub'],
      });
      const { sub, scope } = payload;
      if (typeof sub !== 'string' || sub === '' || sub.length > MAX_SUBJECT_LENGTH) {
        throw invalidToken(`The token's sub must be 1 to ${MAX_SUBJECT_LENGTH} characters`);
      }
      if (scope !== undefined && typeof scope !== 'string') {
        throw invalidToken("The token's scope claim must be a space-separated string");
      }
      return { subject: sub, scopes: new Set((scope ?? '').split(' ').filter(Boolean)) };
    } catch (error) {
      if (error instanceof KeysUnavailableError) throw keysUnavailable(error.retryAfterMs);
      if (error instanceof errors.JOSEError) throw invalidToken(describe(error));
      throw error;
    }
  }
}

/** Whether the header uses the Bearer scheme at all (another scheme counts as no token). */
function isBearer(authorization: string | string[]): boolean {
  return typeof authorization === 'string' && /^bearer(?: |$)/i.test(authorization.trimStart());
}

/** What to tell the client about a refused token: fixed texts, never the token's own content. */
function describe(error: InstanceType<typeof errors.JOSEError>): string {
  if (error instanceof errors.JWTExpired) return 'The token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf':
        return 'The token is not valid yet';
      case 'iat':
        return 'The token was issued in the future';
      case 'iss':
        return 'The token was issued by another issuer';
      case 'aud':
        return 'The token is meant for another audience';
      case 'exp':
      case 'sub':
        return error.reason === 'missing'
          ? `The token has no ${error.claim} claim`
          : `The token's ${error.claim} claim is invalid`;
      default:
        return 'A claim of the token is invalid';
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return 'The token is not signed with an accepted algorithm (RS*, PS*, ES*, EdDSA)';
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The signature is invalid';
  if (error instanceof errors.JWKSNoMatchingKey)
    return "No key of the issuer matches the token's kid";
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'The token names no kid and several keys of the issuer match';
  }
  return 'The token is malformed';
}
