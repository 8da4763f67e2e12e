import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse, type ErrorContext } from './error-response';

/** Sends the common error body for anything a handler, guard or pipe (or Nest itself) throws. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  constructor(private readonly context: ErrorContext = {}) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const { status, headers, body, logLevel } = toErrorResponse(
      exception,
      request.id,
      this.context,
    );
    if (logLevel !== 'none') {
      const where = `${request.method} ${request.routeOptions.url ?? request.url}`;
      if (logLevel === 'error') {
        this.logger.error(`${where} failed: ${describe(exception)}`, (exception as Error)?.stack);
      } else {
        this.logger.warn(`${where} answered ${status}: ${describe(exception)}`);
      }
    }
    void http.getResponse<FastifyReply>().status(status).headers(headers).send(body);
  }
}

function describe(exception: unknown): string {
  return exception instanceof Error ? `${exception.name}: ${exception.message}` : String(exception);
}
