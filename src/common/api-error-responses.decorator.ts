import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import {
  CircuitOpenResponseDto,
  ErrorResponseDto,
  UpstreamErrorResponseDto,
} from './dto/error-response.dto';

/** The 502/503/504 answers every route that calls the upstream can give. */
export function ApiUpstreamErrorResponses(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiResponse({
      status: 502,
      description:
        'The Event API failed: it answered 5xx, the connection failed, or its body was malformed',
      type: UpstreamErrorResponseDto,
    }),
    ApiResponse({
      status: 503,
      description:
        'Circuit breaker open (or half-open with its probe in flight): no upstream call was made. Retry after `Retry-After` seconds.',
      type: CircuitOpenResponseDto,
      headers: {
        'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', example: 10 } },
      },
    }),
    ApiResponse({
      status: 504,
      description: 'The Event API did not answer in time',
      type: ErrorResponseDto,
    }),
  );
}

export function ApiBadRequestResponse(
  description = 'Invalid path, query or body',
): MethodDecorator {
  return ApiResponse({ status: 400, description, type: ErrorResponseDto });
}

export function ApiNotFoundResponse(description: string): MethodDecorator {
  return ApiResponse({ status: 404, description, type: ErrorResponseDto });
}

/** Every API route is rate limited per client IP. */
export function ApiRateLimitedResponse(): MethodDecorator & ClassDecorator {
  return ApiResponse({
    status: 429,
    description: 'Too many requests from this client IP: retry after `Retry-After` seconds',
    type: ErrorResponseDto,
    headers: {
      'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', example: 42 } },
    },
  });
}

/** What a JSON body can be refused for before validation. */
export function ApiJsonBodyResponses(): MethodDecorator {
  return applyDecorators(
    ApiResponse({
      status: 413,
      description: 'Body larger than BODY_LIMIT_BYTES',
      type: ErrorResponseDto,
    }),
    ApiResponse({
      status: 415,
      description: 'Content-Type is not application/json',
      type: ErrorResponseDto,
    }),
  );
}
