import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/dto/error-response.dto';
import {
  ApiBadRequestResponse,
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
    ApiBadRequestResponse('Invalid body (see `message` for every rule broken)'),
    ApiResponse({
      status: 422,
      description: 'The userId names no existing user',
      type: ErrorResponseDto,
    }),
    ApiJsonBodyResponses(),
  );
}
