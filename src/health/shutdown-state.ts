import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayConfig } from '../common/config/gateway-config';

/**
 * Knows whether the app is shutting down. When shutdown starts, readiness fails at once; the server
 * keeps serving for `SHUTDOWN_DRAIN_MS` so load balancers notice and stop sending traffic, and only
 * then does Nest close the server (which lets in-flight requests finish).
 *
 * Why not Terminus's own `gracefulShutdownTimeoutMs` with `enableShutdownHooks`: Terminus marks every
 * health check `shutting_down` (503) during its delay, liveness included, whereas only readiness
 * should fail while draining; and it waits only for a SIGTERM that reaches it through Nest's shutdown
 * hooks, while main.ts handles SIGTERM and SIGINT itself so it can bound the whole shutdown with a
 * deadline and exit at once on a second signal. Terminus still runs the checks (health.controller).
 */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private draining = false;

  private readonly drainMs: number;

  constructor(config: ConfigService<GatewayConfig, true>) {
    this.drainMs = config.get('health.shutdownDrainMs', { infer: true });
  }

  get isShuttingDown(): boolean {
    return this.draining;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    this.logger.log(`Readiness fails from now; closing the server in ${this.drainMs} ms`);
    if (this.drainMs > 0) await sleep(this.drainMs);
  }
}
