import { Module } from '@nestjs/common';
import { EventGatewayModule } from '../upstream/event-gateway.module';
import { AdminController } from './admin.controller';
import { AdminTokenGuard } from './admin-token.guard';
import { CircuitBreakerAdmin } from './circuit-breaker-admin.service';

/**
 * Operators' breaker controls under /admin. `AppModule.forRoot` imports it only when ADMIN_TOKEN
 * is set: without a token the routes do not exist (404) and are not in the OpenAPI document.
 */
@Module({
  imports: [EventGatewayModule],
  controllers: [AdminController],
  providers: [AdminTokenGuard, CircuitBreakerAdmin],
})
export class AdminModule {}
