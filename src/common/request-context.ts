import { context, createContextKey, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/** What any code running for a request can know about it without threading it by hand. */
export interface RequestContext {
  /** The request's correlation id (also Fastify's request id and the error bodies' `requestId`). */
  readonly correlationId: string;
}

const REQUEST = createContextKey('event-gateway.request');

let managerInstalled = false;

/**
 * One async context per request, shared with tracing: the request's own values live in the same
 * OpenTelemetry context (an AsyncLocalStorage) as its span, entered once.
 */
function ensureContextManager(): void {
  if (managerInstalled) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  managerInstalled = true;
}

export const requestContext = {
  /** Runs `fn` in `parent` (the active context by default) with `request` added to it. */
  run<T>(request: RequestContext, fn: () => T, parent?: Context): T {
    ensureContextManager();
    return context.with((parent ?? context.active()).setValue(REQUEST, request), fn);
  },
  current(): RequestContext | undefined {
    return context.active().getValue(REQUEST) as RequestContext | undefined;
  },
};
