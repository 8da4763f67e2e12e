import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';

export const TEST_ISSUER = 'https://issuer.test/';
export const TEST_AUDIENCE = 'event-gateway';

/** A signing key made in the test: its private half signs, its public JWK goes in the JWKS. */
export interface TestKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function makeKey(kid: string, alg = 'ES256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

export interface MintOptions {
  readonly sub?: string;
  readonly scope?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** Seconds from now (negative: in the past). */
  readonly expiresIn?: number;
  readonly notBeforeIn?: number;
  readonly kid?: string;
  readonly claims?: JWTPayload;
}

/** A JWT access token (RFC 9068 style) signed with `key`, as an identity provider mints one. */
export function mint(key: TestKey, options: MintOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    ...(options.scope === undefined ? {} : { scope: options.scope }),
    client_id: 'test-client',
    ...options.claims,
  })
    .setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: 'at+jwt' })
    .setIssuer(options.issuer ?? TEST_ISSUER)
    .setAudience(options.audience ?? TEST_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 300))
    .setJti(crypto.randomUUID());
  if (options.sub !== '') jwt.setSubject(options.sub ?? 'alice');
  if (options.notBeforeIn !== undefined) jwt.setNotBefore(now + options.notBeforeIn);
  return jwt.sign(key.privateKey);
}

/**
 * A real JWKS endpoint on a free loopback port: serves the public halves of `keys`, counts its
 * fetches, and can fail (`mode`: a 500, or no answer at all) to play an identity provider's outage.
 */
export class JwksServer {
  keys: TestKey[] = [];
  /** `fail`: 500; `hang`: never answers (the connection stays open until closed). */
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  hits = 0;
  private constructor(private readonly server: Server) {}

  static async start(keys: TestKey[]): Promise<JwksServer> {
    const server = createServer((request, response) => {
      self.hits += 1;
      if (self.mode === 'hang') return;
      if (request.url !== '/jwks.json' || self.mode === 'fail') {
        response.writeHead(request.url === '/jwks.json' ? 500 : 404).end();
        return;
      }
      response
        .writeHead(200, { 'content-type': 'application/jwk-set+json' })
        .end(JSON.stringify({ keys: self.keys.map((key) => key.publicJwk) }));
    });
    const self = new JwksServer(server);
    self.keys = keys;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks.json`;
  }

  /** The gateway settings that turn authentication on against this server. */
  get env(): Record<string, string> {
    return { AUTH_JWKS_URL: this.url, AUTH_ISSUER: TEST_ISSUER, AUTH_AUDIENCE: TEST_AUDIENCE };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
