import { applyDecorators } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { ApiError } from '../common/errors/api-error';
import {
  ApiErrorResponse,
  ApiJsonBodyResponses,
} from '../common/openapi/api-error-responses.decorator';

/** What both create routes (POST /events and its legacy alias) document about their body. */
export function ApiCreateEventBody(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Content-Type',
      required: true,
      schema: { type: 'string', enum: ['application/json'] },
    }),
    ApiJsonBodyResponses(),
    ApiErrorResponse(
      'The userId names no existing user',
      new ApiError({
        status: 422,
        code: 'UNKNOWN_USER',
        message: 'User "42" does not exist',
        log: 'none',
      }),
    ),
  );
}
