import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** The audience the dev identity provider's tokens are for (the gateway's AUTH_AUDIENCE). */
export const DEV_AUDIENCE = 'event-gateway';

/** The longest lifetime a minted token may ask for: one day. */
const MAX_EXPIRES_IN_S = 86_400;

/** `sub` and each scope: printable ASCII without space, quote or backslash (RFC 6749's scope-token). */
const TOKEN_CHARS = /^[\x21\x23-\x5B\x5D-\x7E]{1,255}$/;

interface SigningKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/**
 * A development identity provider, for trying the gateway with authentication on: a JWKS at
 * `GET /.well-known/jwks.json` and `POST /dev/token`, which mints an access token (RFC 9068 style,
 * ES256) for any subject and scopes it is asked for. Its key pair is made when the mock starts
 * and never leaves the process. Anyone who can reach it gets any token: never point a real
 * gateway at it.
 */
export function registerDevIdentityProvider(app: FastifyInstance, issuer: string): void {
  let key: Promise<SigningKey> | undefined;
  const signingKey = (): Promise<SigningKey> =>
    (key ??= (async () => {
      const pair = await generateKeyPair('ES256', { extractable: true });
      const kid = `dev-${crypto.randomUUID()}`;
      const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' };
      return { privateKey: pair.privateKey, publicJwk };
    })());

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    const { publicJwk } = await signingKey();
    return reply.type('application/jwk-set+json').send({ keys: [publicJwk] });
  });

  app.post<{ Body: unknown }>('/dev/token', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const { sub, scope = '', expiresIn = 3600 } = body;
    const scopes = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : undefined;
    if (
      typeof sub !== 'string' ||
      !TOKEN_CHARS.test(sub) ||
      scopes === undefined ||
      !scopes.every((one) => TOKEN_CHARS.test(one)) ||
      typeof expiresIn !== 'number' ||
      !Number.isInteger(expiresIn) ||
      expiresIn < 1 ||
      expiresIn > MAX_EXPIRES_IN_S
    ) {
      return reply.code(400).send({
        error: 'invalid_request',
        error_description: `expected { "sub": "<subject>", "scope"?: "<space-separated scopes>", "expiresIn"?: 1-${MAX_EXPIRES_IN_S} }`,
      });
    }
    const { privateKey, publicJwk } = await signingKey();
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
      client_id: 'mock-dev-client',
    })
      .setProtectedHeader({ alg: 'ES256', kid: publicJwk.kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience(DEV_AUDIENCE)
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .setJti(crypto.randomUUID())
      .sign(privateKey);
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: expiresIn,
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
    };
  });
}
