import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from './error-response';

/** Sends the common error body for anything a handler (or Nest itself) throws. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(
      exception,
      http.getRequest<FastifyRequest>(),
      http.getResponse<FastifyReply>(),
      this.logger,
    );
  }
}

/** Shared by the Nest filter and Fastify's own error handler (errors raised before Nest runs). */
export function sendError(
  exception: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: Logger,
): void {
  const { status, headers, body, logLevel } = toErrorResponse(exception, request.id);
  const where = `${request.method} ${request.url} [${request.id}]`;
  if (logLevel === 'error') {
    logger.error(
      `${where} failed: ${describe(exception)}`,
      (exception as Error | undefined)?.stack,
    );
  } else if (logLevel === 'warn') {
    logger.warn(`${where} answered ${status}: ${describe(exception)}`);
  }
  void reply.status(status).headers(headers).send(body);
}

function describe(exception: unknown): string {
  return exception instanceof Error ? `${exception.name}: ${exception.message}` : String(exception);
}
