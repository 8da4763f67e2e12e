import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { CircuitState } from '../circuit-breaker';
import { ErrorResponseDto } from '../common/dto/error-response.dto';
import { ApiError, type Problem } from '../common/errors/api-error';
import { toErrorResponse } from '../common/errors/error-response';
import {
  ApiErrorResponse,
  ApiJsonBodyResponses,
  RETRY_AFTER_HEADER,
} from '../common/openapi/api-error-responses.decorator';
import { UpstreamCircuitOpenError } from '../upstream/event-api.errors';
import { CircuitOpenResponseDto } from '../upstream/event-api-error.responses';
import { DeliveryQueueFullError } from './accepted-creates';
import { EventRequestDto } from './dto/event-request.dto';

const clientError = (status: number, code: Problem['code'], message: string) =>
  new ApiError({ status, code, message, log: 'none' });

/** `Idempotent-Replayed` on an answer to a repeated Idempotency-Key. */
export const IDEMPOTENT_REPLAYED = {
  'Idempotent-Replayed': {
    description:
      '`true` when this is the stored answer to an earlier request with the same Idempotency-Key',
    schema: { type: 'string', enum: ['true'], example: 'true' },
  },
};

/** What both create routes (POST /events and its legacy alias) document about their request. */
export function ApiCreateEventBody(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'A value of your own, new for each create you mean (a UUID: `crypto.randomUUID()`, `uuidgen`), sent again only to retry that create. 1 to 255 printable ASCII characters (else 400 INVALID_IDEMPOTENCY_KEY), remembered for IDEMPOTENCY_TTL_MS and shared by POST /events and POST /addEvent. The same key with the same body answers the first outcome again (`Idempotent-Replayed: true`) without a new upstream call; with another body, 422 IDEMPOTENCY_KEY_REUSED. After a failure whose effect upstream was unknown, the retry asks the upstream for the event first and never stores it twice. Left empty, the create is not idempotent.',
      // No example: Swagger UI would fill it in, and every "Try it out" would replay one create.
      schema: { type: 'string' },
    }),
    ApiJsonBodyResponses(),
    ApiErrorResponse(
      'The userId names no existing user, or the Idempotency-Key was first used with a different body',
      [
        clientError(422, 'UNKNOWN_USER', 'User "42" does not exist'),
        clientError(
          422,
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was first used with a different body',
        ),
      ],
    ),
    ApiErrorResponse(
      'The first request with this Idempotency-Key is still in flight: retry after `Retry-After`',
      new ApiError({
        status: 409,
        code: 'IDEMPOTENCY_REQUEST_IN_FLIGHT',
        message: 'A request with this Idempotency-Key is still being processed: retry shortly',
        headers: { 'retry-after': '1' },
        log: 'none',
      }),
    ),
  );
}

/** The 202 of `Prefer: respond-async`. */
export function ApiAcceptedCreate(): MethodDecorator {
  return ApiResponse({
    status: 202,
    description:
      'Accepted for delivery (`Prefer: respond-async` with REDIS_URL set): queued durably, delivered upstream exactly once by a worker; `Location` is where it stands.',
    type: EventRequestDto,
    headers: {
      ...IDEMPOTENT_REPLAYED,
      Location: {
        description: 'GET it to see where the create stands',
        required: true,
        schema: { type: 'string', example: '/event-requests/5b2f0a1e-9c1d-4f7e-8a51-2d9d3c6f1e42' },
      },
      'Preference-Applied': {
        description: 'respond-async',
        required: true,
        schema: { type: 'string', example: 'respond-async' },
      },
    },
  });
}

/**
 * Every 503 of `POST /events`, in one response (a method's 503 replaces the controller's): the
 * open write breaker's, and those of `Prefer: respond-async` (a full queue, Redis away).
 */
export function ApiCreateUnavailable(): MethodDecorator {
  const causes = [
    UpstreamCircuitOpenError.of('event-api.write', CircuitState.Open, 10_000),
    new DeliveryQueueFullError(10_000),
    new ApiError({
      status: 503,
      code: 'STATE_UNAVAILABLE',
      message:
        'Accepted creates cannot be reached while shared state is unavailable: retry shortly',
      headers: { 'Retry-After': '2' },
      log: 'none',
    }),
    new ApiError({
      status: 503,
      code: 'ACCEPTANCE_UNKNOWN',
      message:
        'Shared state did not confirm that the create was queued: it may still be delivered. Retry with the same Idempotency-Key',
      headers: { 'Retry-After': '2' },
      log: 'none',
    }),
  ];
  return applyDecorators(
    ApiExtraModels(CircuitOpenResponseDto, ErrorResponseDto),
    ApiResponse({
      status: 503,
      description:
        'Not done, retry after `Retry-After`: the write breaker is open (CIRCUIT_OPEN, no upstream call was made); with `Prefer: respond-async`, the queue of accepted creates holds EVENT_DELIVERY_MAX_PENDING creates (DELIVERY_QUEUE_FULL, nothing was queued, the Idempotency-Key stays usable), or shared state is unavailable (STATE_UNAVAILABLE). Maybe done: ACCEPTANCE_UNKNOWN (retry with the same Idempotency-Key).',
      schema: {
        oneOf: [
          { $ref: getSchemaPath(CircuitOpenResponseDto) },
          { $ref: getSchemaPath(ErrorResponseDto) },
        ],
      },
      headers: RETRY_AFTER_HEADER,
      examples: Object.fromEntries(
        causes.map((cause) => {
          const { body } = toErrorResponse(cause, '3f1c2a4e-8d0b-4d52-9a57-0f7d7f2b6a10');
          return [body.code, { summary: body.code, value: body }];
        }),
      ),
    }),
  );
}
