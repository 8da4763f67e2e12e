import { Inject, Injectable, type LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';
import { trace } from '@opentelemetry/api';
import { requestContext } from '../common/request-context';
import { traceFields } from '../tracing/server-spans';
import { PINO } from './pino-logger';

/** Nest's start-up chatter (modules loaded, routes mapped): only worth reading when debugging. */
const BOOT_CONTEXTS: ReadonlySet<string> = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

/** A message given as fields plus its text: `logger.warn({ msg: 'Breaker reset', breaker })`. */
export interface StructuredMessage {
  readonly msg: string;
  readonly [field: string]: unknown;
}

function isStructured(message: unknown): message is StructuredMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    Object.getPrototypeOf(message) === Object.prototype &&
    typeof (message as { msg?: unknown }).msg === 'string'
  );
}

/**
 * Nest's logger, writing through pino. Every line written while serving a request carries its
 * `correlationId`; nothing is formatted for a level that is off. A plain object with a string
 * `msg` is written as fields of the line (anything else that is not a string is JSON text).
 */
@Injectable()
export class PinoNestLogger implements LoggerService {
  constructor(@Inject(PINO) private readonly pino: Logger) {}

  log(message: unknown, context?: string): void {
    this.write(context && BOOT_CONTEXTS.has(context) ? 'debug' : 'info', message, context);
  }

  error(message: unknown, stackOrContext?: string, context?: string): void {
    // Nest calls error(message, stack, context), or error(message, context) without a stack.
    if (context === undefined && stackOrContext !== undefined && !stackOrContext.includes('\n')) {
      this.write('error', message, stackOrContext);
    } else {
      this.write('error', message, context, stackOrContext);
    }
  }

  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }

  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }

  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }

  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(level: Level, message: unknown, context?: string, stack?: string): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const correlationId = requestContext.current()?.correlationId;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (correlationId) fields.correlationId = correlationId;
    Object.assign(fields, traceFields(trace.getActiveSpan()));
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      fields.err = message;
      this.pino[level](fields, message.message);
    } else if (isStructured(message)) {
      // Its fields go on the line (an audit record, say); context and correlation id win.
      const { msg, ...own } = message;
      this.pino[level]({ ...own, ...fields }, msg);
    } else {
      this.pino[level](fields, typeof message === 'string' ? message : JSON.stringify(message));
    }
  }
}
