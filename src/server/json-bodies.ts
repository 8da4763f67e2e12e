import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { ApiError } from '../common/errors/api-error';
import { takesNoBody } from '../common/no-request-body';

const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;
/** Methods whose requests carry a body here (only POST is routed; the rest get 405). */
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/** Only bodies whose text names these can hold a prototype-poisoning key: the rest skip the scan. */
const MAY_POISON = /__proto__|constructor/;

const unsupportedMediaType = () =>
  new ApiError({
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Content-Type must be application/json',
    log: 'none',
  });

const badJson = (code: 'MALFORMED_JSON' | 'FORBIDDEN_KEY', message: string) =>
  new ApiError({ status: 400, code, message, log: 'none' });

/**
 * JSON is the only body this API takes. A request that may carry a body must say
 * `Content-Type: application/json` (else 415: the request pipeline asks in onRequest, before any
 * byte of the body is read; a route marked `@NoRequestBody()` may also be sent none, or an empty
 * one). Returns the 415 to answer, or `undefined`.
 */
export function unsupportedContentType(request: FastifyRequest): ApiError | undefined {
  // A path that does not exist is 404 (or 405) whatever its content type.
  if (request.routeOptions.url === undefined) return undefined;
  const contentType = request.headers['content-type'];
  const needsJson =
    (BODY_METHODS.has(request.method) && !takesNoBody(request)) || contentType !== undefined;
  if (request.method !== 'GET' && needsJson && !JSON_MEDIA_TYPE.test(contentType ?? '')) {
    return unsupportedMediaType();
  }
  return undefined;
}

/**
 * The gateway's JSON parser: bodies are parsed with clear answers: not JSON, empty, or carrying a
 * key that could poison prototypes (`__proto__`, `constructor.prototype`) are three different 400s.
 */
export function parseJsonBodies(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (incoming, body, done) => {
      const text = body as string;
      if (text.trim() === '') {
        if (takesNoBody(incoming)) {
          done(null, undefined);
          return;
        }
        done(badJson('MALFORMED_JSON', 'The body is empty: send a JSON object'), undefined);
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        done(badJson('MALFORMED_JSON', 'The body is not valid JSON'), undefined);
        return;
      }
      // Every body this API takes is an object: an array, a string or null is no such thing.
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        done(
          new ApiError({
            status: 400,
            code: 'VALIDATION_FAILED',
            message: 'The body must be a JSON object',
            log: 'none',
          }),
          undefined,
        );
        return;
      }
      // An action that takes no body takes nothing in one either: its fields would be ignored.
      if (takesNoBody(incoming) && Object.keys(parsed).length > 0) {
        done(
          new ApiError({
            status: 400,
            code: 'VALIDATION_FAILED',
            message: 'This action takes no body (or an empty JSON object)',
            log: 'none',
          }),
          undefined,
        );
        return;
      }
      if (!MAY_POISON.test(text)) {
        done(null, parsed);
        return;
      }
      try {
        // Valid JSON, refused for what it holds rather than for its syntax.
        secureJson.scan(parsed, { protoAction: 'error', constructorAction: 'error' });
        done(null, parsed);
      } catch {
        done(
          badJson(
            'FORBIDDEN_KEY',
            'The body contains "__proto__" or "constructor.prototype", which are not allowed',
          ),
          undefined,
        );
      }
    },
  );
}
