import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { LineWriter } from './line-writer';
import type { GatewayConfig } from '../common/config/gateway-config';

/** Where log lines go: stdout, unless a test captures them. */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');
/** The process's one pino logger. */
export const PINO = Symbol('PINO');

function prettyTransport(nodeEnv: string): LoggerOptions['transport'] {
  if (nodeEnv !== 'development') return undefined;
  try {
    require.resolve('pino-pretty'); // a dev dependency: JSON lines when it is not installed
    return {
      target: 'pino-pretty',
      options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' },
    };
  } catch {
    return undefined;
  }
}

/**
 * JSON lines (pretty in development when pino-pretty is installed), at LOG_LEVEL. Headers and
 * bodies are never logged.
 */
export function createPinoLogger(
  app: GatewayConfig['app'],
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = { level: app.logLevel };
  if (destination) return pino(options, destination);
  if (app.logLevel === 'silent') return pino(options);
  const transport = prettyTransport(app.nodeEnv);
  if (transport) return pino({ ...options, transport });
  // Asynchronous writes to stdout: the event loop never blocks on a slow log pipe; lines written
  // while a write is in flight go out together; what is left is written on exit (line-writer.ts).
  return pino(options, new LineWriter(1));
}
