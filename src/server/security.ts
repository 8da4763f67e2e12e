import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import { CORRELATION_ID_HEADER } from '../common/correlation-id';
import type { GatewayConfig } from '../common/config/gateway-config';

/**
 * The headers of every API answer (JSON, errors included): what OWASP's REST Security Cheat Sheet
 * ("Security Headers") lists for API responses, and nothing meant only for HTML pages. A JSON
 * answer is never a document a browser renders, so the page-only headers (COOP/CORP,
 * Origin-Agent-Cluster, X-DNS-Prefetch-Control, X-Download-Options,
 * X-Permitted-Cross-Domain-Policies, X-XSS-Protection, and a CSP listing sources) would cost about
 * 420 bytes on every answer (helmet's set is about 640 bytes, this one about 220) and protect
 * nothing. Content-Type is set by each answer. `default-src 'none'` makes a JSON answer opened as a
 * page inert.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
});

/**
 * The pages the app serves itself (Swagger UI under /docs) keep helmet's full set, with a CSP
 * written for Swagger UI.
 */
const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    // Swagger UI is served by the app itself: its scripts and styles come from 'self'; it sets a
    // few inline styles and uses data: images. No upgrade-insecure-requests: over plain HTTP (an
    // HTTP ingress, a node address) it would make browsers fetch the UI's own assets over HTTPS.
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      scriptSrcAttr: ["'none'"],
    },
  },
  frameguard: { action: 'deny' },
};

/** Where the app serves pages (Swagger UI and its assets): the full set of headers there. */
export const DOCS_PATH = '/docs';

/** Whether a request is for Swagger UI's page or assets (not /docs-json: that is JSON). */
export function isDocsPage(url: string): boolean {
  return (
    url.startsWith(DOCS_PATH) &&
    (url.length === DOCS_PATH.length || '/?'.includes(url[DOCS_PATH.length]))
  );
}

/** The response headers that carry meaning for a client (beyond the CORS-safelisted ones). */
const EXPOSED_HEADERS: readonly string[] = [
  CORRELATION_ID_HEADER,
  'retry-after',
  'location',
  'age',
  'cache-status',
  'idempotent-replayed',
  'preference-applied',
  'deprecation',
  'sunset',
  'link',
  'allow',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'www-authenticate',
];

/**
 * Helmet's headers for the pages under /docs, computed once: they depend on no request (no
 * nonces), so running helmet's middleware for every request would only redo the same work.
 */
export function pageSecurityHeaders(options: HelmetOptions = HELMET_OPTIONS): [string, string][] {
  const headers = new Map<string, string>();
  const response = {
    setHeader: (name: string, value: string | number) =>
      void headers.set(name.toLowerCase(), String(value)),
    removeHeader: (name: string) => void headers.delete(name.toLowerCase()),
  } as unknown as ServerResponse;
  let failure: unknown;
  helmet(options)({} as IncomingMessage, response, (error?: unknown) => (failure = error));
  if (failure !== undefined) throw new Error('Invalid security header options', { cause: failure });
  return [...headers];
}

/** CORS for the configured origins only (none: no CORS headers at all). */
export function enableCors(app: NestFastifyApplication, security: GatewayConfig['security']): void {
  if (security.corsOrigins.length === 0) return;
  app.enableCors({
    origin: [...security.corsOrigins],
    methods: ['GET', 'POST'],
    // Every response header a client acts on; a browser hides the others from scripts.
    exposedHeaders: [...EXPOSED_HEADERS],
  });
}
