import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './app.setup';
import { InvalidEnvironmentError } from './config/environment';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createFastifyAdapter(), {
    abortOnError: false,
  });
  configureApp(app);
  const config = app.get(ConfigService);
  const port = config.getOrThrow<number>('app.port');
  await app.listen(port, '0.0.0.0');
  const logger = new Logger('Bootstrap');
  logger.log(
    `Event gateway on http://localhost:${port} (Swagger UI: http://localhost:${port}/docs)`,
  );
  logger.log(`Upstream Event API: ${config.getOrThrow<string>('upstream.baseUrl')}`);
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
