import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import type { GatewayConfig } from '../common/config/gateway-config';
import { AdminToken, bearerToken, unauthorized } from './admin-token';

/**
 * Lets a request through only with `Authorization: Bearer <ADMIN_TOKEN>`; otherwise 401. It runs
 * after the global rate limit guard, so guesses are rate limited like any other request.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly token: AdminToken;

  constructor(config: ConfigService<GatewayConfig, true>) {
    const token = config.get('admin', { infer: true }).token;
    // Fails closed: the admin module is only registered with a token, and never runs without one.
    if (token === undefined) throw new Error('The admin routes need ADMIN_TOKEN');
    this.token = new AdminToken(token);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const presented = bearerToken(request.headers.authorization);
    if (presented === undefined) throw unauthorized(false);
    if (!this.token.matches(presented)) throw unauthorized(true);
    return true;
  }
}
