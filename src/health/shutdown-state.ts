import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { setTimeout as sleep } from 'node:timers/promises';
import { healthConfig } from '../config/configuration';

/**
 * Knows whether the app is shutting down. When shutdown starts, readiness fails at once; the server
 * keeps serving for `SHUTDOWN_DRAIN_MS` so load balancers notice and stop sending traffic, and only
 * then does Nest close the server (which lets in-flight requests finish).
 */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private draining = false;

  constructor(@Inject(healthConfig.KEY) private readonly config: ConfigType<typeof healthConfig>) {}

  get isShuttingDown(): boolean {
    return this.draining;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    const { shutdownDrainMs } = this.config;
    this.logger.log(`Readiness fails from now; closing the server in ${shutdownDrainMs} ms`);
    if (shutdownDrainMs > 0) await sleep(shutdownDrainMs);
  }
}
