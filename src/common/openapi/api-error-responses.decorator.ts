import { applyDecorators, type Type } from '@nestjs/common';
import { ApiParam, ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../dto/error-response.dto';
import { ApiError, type Problem } from '../errors/api-error';
import { toErrorResponse } from '../errors/error-response';
import { ID_PATTERN, ID_PATTERN_DESCRIPTION } from '../ids';

/** The requestId shown in examples. */
const EXAMPLE_REQUEST_ID = '3f1c2a4e-8d0b-4d52-9a57-0f7d7f2b6a10';
/** The default BODY_LIMIT_BYTES, as stated in the 413 example. */
const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;

type Headers = Record<string, { description: string; schema: Record<string, unknown> }>;

/**
 * A documented error answer whose example is the body the gateway really sends for `cause` (or one
 * example per cause, all of one status), computed by the same mapping that answers requests:
 * examples cannot drift from the code.
 */
export function ApiErrorResponse(
  description: string,
  cause: unknown,
  options: { type?: Type<unknown>; headers?: Headers } = {},
): MethodDecorator & ClassDecorator {
  const causes = Array.isArray(cause) ? cause : [cause];
  const answers = causes.map((one) =>
    toErrorResponse(one, EXAMPLE_REQUEST_ID, { bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES }),
  );
  const examples =
    answers.length === 1
      ? { example: answers[0].body }
      : {
          examples: Object.fromEntries(
            answers.map(({ body }) => [body.code, { summary: body.code, value: body }]),
          ),
        };
  return ApiResponse({
    status: answers[0].status,
    description,
    type: options.type ?? ErrorResponseDto,
    ...examples,
    ...(options.headers ? { headers: options.headers } : {}),
  });
}

const clientError = (status: number, code: Problem['code'], message: string | string[]) =>
  new ApiError({ status, code, message, log: 'none' });

export const RETRY_AFTER_HEADER: Headers = {
  'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', example: 10 } },
};

/** The route's `:id` path parameter (see IdParam) and its 400 and 414 answers. */
export function ApiIdPathParam(): MethodDecorator {
  return applyDecorators(
    ApiParam({
      name: 'id',
      description: ID_PATTERN_DESCRIPTION,
      example: '1',
      schema: { type: 'string', pattern: ID_PATTERN.source },
    }),
    ApiErrorResponse(
      'Invalid id',
      clientError(400, 'VALIDATION_FAILED', [`id must be ${ID_PATTERN_DESCRIPTION}`]),
    ),
    ApiErrorResponse(
      'A path parameter too long for the router (over 100 characters)',
      clientError(414, 'URI_TOO_LONG', 'A path parameter is too long'),
    ),
  );
}

export function ApiNotFoundResponse(
  description: string,
  code: 'USER_NOT_FOUND' | 'EVENT_NOT_FOUND',
): MethodDecorator {
  const what = code === 'USER_NOT_FOUND' ? 'User' : 'Event';
  return ApiErrorResponse(description, clientError(404, code, `${what} "42" not found`));
}

/** Every API route is rate limited per client address. */
export function ApiRateLimitedResponse(): MethodDecorator & ClassDecorator {
  return ApiErrorResponse(
    'Too many requests from this client: retry after `Retry-After` seconds',
    clientError(
      429,
      'RATE_LIMITED',
      'Too many requests: retry after the number of seconds in Retry-After',
    ),
    { headers: RETRY_AFTER_HEADER },
  );
}

/** What a JSON body can be refused for, before and during validation. */
export function ApiJsonBodyResponses(): MethodDecorator {
  return applyDecorators(
    ApiErrorResponse(
      'Invalid body: one message per broken rule (see `message`); also malformed JSON (MALFORMED_JSON) and prototype keys (FORBIDDEN_KEY)',
      clientError(400, 'VALIDATION_FAILED', ['name is required', 'userId must be a string']),
    ),
    ApiErrorResponse(
      'Body larger than BODY_LIMIT_BYTES',
      clientError(
        413,
        'PAYLOAD_TOO_LARGE',
        `The body is larger than the limit of ${DEFAULT_BODY_LIMIT_BYTES} bytes`,
      ),
    ),
    ApiErrorResponse(
      'Content-Type is not application/json (or missing)',
      clientError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json'),
    ),
  );
}
