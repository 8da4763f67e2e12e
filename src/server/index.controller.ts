import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { SERVICE_NAME, SERVICE_VERSION } from '../common/config/service-version';

/** `GET /`: where to go from here. */
export class IndexDto {
  @ApiProperty({ example: 'event-gateway' })
  readonly name!: string;

  @ApiProperty({ example: '0.1.0' })
  readonly version!: string;

  @ApiProperty({ example: '/docs', description: 'Swagger UI' })
  readonly docs!: string;

  @ApiProperty({ example: '/docs-json', description: 'The OpenAPI document' })
  readonly openapi!: string;

  @ApiProperty({ example: '/health', description: 'Liveness' })
  readonly health!: string;

  @ApiProperty({ example: '/ready', description: 'Readiness (breakers, Redis, queue)' })
  readonly ready!: string;
}

const INDEX: IndexDto = {
  name: SERVICE_NAME,
  version: SERVICE_VERSION,
  docs: '/docs',
  openapi: '/docs-json',
  health: '/health',
  ready: '/ready',
};

@ApiTags('Index')
@Controller()
export class IndexController {
  @Get()
  @ApiOperation({ summary: 'Links to the documentation and the probes' })
  @ApiOkResponse({ type: IndexDto })
  index(): IndexDto {
    return INDEX;
  }
}
