import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { InvalidEnvironmentError } from './common/config/environment';
import { loadConfig, loadDotEnvFile, type GatewayConfig } from './common/config/gateway-config';
import { PinoNestLogger } from './logging/pino-nest-logger';
import { configureApp } from './server/configure-app';
import { createFastifyAdapter } from './server/fastify-adapter';
import { optionalParts } from './server/start-up-summary';
import { RELEASE_AFTER_LISTEN_MS, releaseStartUpMemory } from './server/start-up-memory';

const logger = new Logger('Bootstrap');

async function bootstrap(): Promise<void> {
  loadDotEnvFile();
  const config = loadConfig(process.env);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    createFastifyAdapter(config),
    // The gateway parses JSON bodies itself (see server/json-bodies.ts).
    { abortOnError: false, bufferLogs: true, bodyParser: false },
  );
  app.useLogger(app.get(PinoNestLogger));
  app.flushLogs();
  configureApp(app, config);
  closeOnSignals(app, config);
  const { port } = config.app;
  await app.listen(port, '0.0.0.0');
  logger.log(
    `Event gateway on http://localhost:${port} (Swagger UI: http://localhost:${port}/docs)`,
  );
  // The config holds the base URL without its credentials (loadConfig takes them out).
  logger.log(`Upstream Event API: ${config.upstream.baseUrl}`);
  for (const line of optionalParts(config)) logger.log(line);
  // Idle memory: the young generation grown while loading goes back to the system, once the first
  // probes have been answered (server/start-up-memory.ts).
  setTimeout(releaseStartUpMemory, RELEASE_AFTER_LISTEN_MS).unref();
}

/**
 * SIGTERM (Kubernetes) or SIGINT (Ctrl-C): readiness fails at once, the server keeps serving for the
 * drain delay, then closes and lets in-flight requests finish; the process then exits 0. If that
 * takes longer than drain + timeout, it exits 1. A second signal exits at once.
 */
function closeOnSignals(app: NestFastifyApplication, config: GatewayConfig): void {
  const deadlineMs = config.health.shutdownDrainMs + config.health.shutdownTimeoutMs;
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      logger.warn(`${signal} received again: exiting now`);
      process.exit(1);
    }
    closing = true;
    logger.log(`${signal} received: shutting down`);
    setTimeout(() => {
      logger.error(`Shutdown did not finish within ${deadlineMs} ms: exiting`);
      process.exit(1);
    }, deadlineMs).unref();
    app.close().then(
      () => {
        logger.log('Server closed; exiting');
        // Whatever is still pending now was given up on by a bounded step (e.g. a span export to
        // a collector that never answers): it must not hold the process until the deadline.
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(`Shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

bootstrap().catch((error: unknown) => {
  // An invalid environment is an operator's typo: one clear line, no stack trace.
  if (error instanceof InvalidEnvironmentError) {
    console.error(error.message);
  } else {
    console.error('Failed to start:', error);
  }
  process.exit(1);
});
