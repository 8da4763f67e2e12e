import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../dto/error-response.dto';

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
