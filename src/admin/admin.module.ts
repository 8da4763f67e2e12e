import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { EventGatewayModule } from '../upstream/event-gateway.module';
import { AdminController } from './admin.controller';
import { AdminTokenGuard } from './admin-token.guard';
import { CircuitBreakerAdmin } from './circuit-breaker-admin.service';
import { EventRequestsAdminController } from './event-requests-admin.controller';
import { EventRequestsAdmin } from './event-requests-admin.service';

/**
 * Operators' controls under /admin: the breakers, and (with the queue of accepted creates) its dead
 * letters. `AppModule.forRoot` imports it only when ADMIN_TOKEN is set: without a token the routes
 * do not exist (404) and are not in the OpenAPI document.
 */
@Module({})
export class AdminModule {
  /**
   * @param queue the module of the queue of accepted creates (`EventRequestsModule`, with
   * REDIS_URL): with it, `/admin/event-requests` lists and retries failed creates.
   */
  static register(queue?: Type): DynamicModule {
    return {
      module: AdminModule,
      imports: [EventGatewayModule, ...(queue ? [queue] : [])],
      controllers: [AdminController, ...(queue ? [EventRequestsAdminController] : [])],
      providers: [AdminTokenGuard, CircuitBreakerAdmin, ...(queue ? [EventRequestsAdmin] : [])],
    };
  }
}
