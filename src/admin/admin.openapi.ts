import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty } from '@nestjs/swagger';
import { CircuitState } from '../circuit-breaker';
import { ApiError } from '../common/errors/api-error';
import { ApiErrorResponse } from '../common/openapi/api-error-responses.decorator';
import { READ_BREAKER, WRITE_BREAKER } from '../upstream/upstream-breakers';
import { unauthorized } from './admin-token';
import {
  breakerNotFound,
  type CircuitBreakerActionResult,
  type CircuitBreakerStatus,
} from './circuit-breaker-admin.service';
import { BREAKER_NAME_MESSAGE } from './dto/breaker-name-params.dto';

class CircuitBreakerTotalsDto {
  @ApiProperty({ example: 118 })
  readonly successes: number;

  @ApiProperty({ example: 3 })
  readonly failures: number;

  @ApiProperty({ description: 'Calls refused without contacting the upstream', example: 12 })
  readonly rejections: number;
}

export class CircuitBreakerStatusDto {
  @ApiProperty({ example: WRITE_BREAKER })
  readonly name: string;

  @ApiProperty({ enum: CircuitState, enumName: 'CircuitState', example: CircuitState.Closed })
  readonly state: CircuitState;

  @ApiProperty({ description: 'Failures the trip policy counts now', example: 1 })
  readonly failuresInWindow: number;

  @ApiProperty({ description: 'Calls the trip policy counts now', example: 4 })
  readonly callsInWindow: number;

  @ApiProperty({
    type: CircuitBreakerTotalsDto,
    description: 'Since the process started; a reset does not clear them',
  })
  readonly totals: CircuitBreakerTotalsDto;

  @ApiProperty({
    description: 'Seconds until a call may be admitted again (0: now); what a refused call gets',
    example: 0,
  })
  readonly retryAfter: number;

  @ApiProperty({ description: 'When the breaker opens', example: '3 failures within 30000 ms' })
  readonly policy: string;
}

export class CircuitBreakerActionResultDto extends CircuitBreakerStatusDto {
  @ApiProperty({
    enum: CircuitState,
    enumName: 'CircuitState',
    description: 'The state the action found the breaker in',
    example: CircuitState.Closed,
  })
  readonly previousState: CircuitState;
}

const read: CircuitBreakerStatus = {
  name: READ_BREAKER,
  state: CircuitState.Closed,
  failuresInWindow: 1,
  callsInWindow: 12,
  totals: { successes: 842, failures: 9, rejections: 0 },
  retryAfter: 0,
  policy: '50% of at least 20 calls within 10000 ms',
};

const write: CircuitBreakerStatus = {
  name: WRITE_BREAKER,
  state: CircuitState.Closed,
  failuresInWindow: 1,
  callsInWindow: 4,
  totals: { successes: 118, failures: 3, rejections: 12 },
  retryAfter: 0,
  policy: '3 failures within 30000 ms',
};

/** Examples shaped exactly like the real answers (a test compares them). */
export const ADMIN_EXAMPLES = {
  list: [read, write] satisfies CircuitBreakerStatus[],
  forceOpen: {
    ...write,
    state: CircuitState.ForcedOpen,
    retryAfter: 10,
    previousState: CircuitState.Closed,
  } satisfies CircuitBreakerActionResult,
  disable: {
    ...read,
    state: CircuitState.Disabled,
    failuresInWindow: 0,
    callsInWindow: 0,
    previousState: CircuitState.Open,
  } satisfies CircuitBreakerActionResult,
  reset: {
    ...write,
    failuresInWindow: 0,
    callsInWindow: 0,
    previousState: CircuitState.ForcedOpen,
  } satisfies CircuitBreakerActionResult,
};

const PER_REPLICA =
  'Acts on the replica that serves the request only: every pod has its own breakers (see docs/admin.md to act on all of them).';

const WWW_AUTHENTICATE_HEADER = {
  'WWW-Authenticate': {
    description: 'The scheme to use: `Bearer realm="event-gateway-admin"`',
    schema: { type: 'string', example: 'Bearer realm="event-gateway-admin"' },
  },
};

/** The 401 every admin route answers without the right token. */
export function ApiAdminUnauthorizedResponse(): MethodDecorator & ClassDecorator {
  return ApiErrorResponse(
    'No `Authorization: Bearer <ADMIN_TOKEN>` header, or a wrong token',
    unauthorized(false),
    { headers: WWW_AUTHENTICATE_HEADER },
  );
}

export function ApiListBreakers(): MethodDecorator {
  return applyDecorators(
    ApiOperation({
      summary: "List this replica's circuit breakers",
      description: `State, the counts the trip policy sees, totals, Retry-After and policy of every breaker. ${PER_REPLICA}`,
    }),
    ApiOkResponse({ type: [CircuitBreakerStatusDto], example: ADMIN_EXAMPLES.list }),
  );
}

/** One breaker action: what it does, its 200 example, and how a name can be refused. */
export function ApiBreakerAction(
  summary: string,
  description: string,
  example: CircuitBreakerActionResult,
): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary, description: `${description} ${PER_REPLICA}` }),
    ApiOkResponse({
      type: CircuitBreakerActionResultDto,
      description: 'The breaker after the action, with the state it was in before',
      example,
    }),
    ApiErrorResponse(
      'Invalid breaker name',
      new ApiError({
        status: 400,
        code: 'VALIDATION_FAILED',
        message: [BREAKER_NAME_MESSAGE],
        log: 'none',
      }),
    ),
    ApiErrorResponse(
      'No breaker with this name',
      breakerNotFound('event-api.search', [READ_BREAKER, WRITE_BREAKER]),
    ),
    ApiErrorResponse(
      'A name too long for the router (over 100 characters)',
      new ApiError({
        status: 414,
        code: 'URI_TOO_LONG',
        message: 'A path parameter is too long',
        log: 'none',
      }),
    ),
    ApiErrorResponse(
      'A body that is not JSON (these routes take no body: send none)',
      new ApiError({
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Content-Type must be application/json',
        log: 'none',
      }),
    ),
  );
}
