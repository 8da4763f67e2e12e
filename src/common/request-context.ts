import { AsyncLocalStorage } from 'node:async_hooks';

/** What any code running for a request can know about it without threading it by hand. */
export interface RequestContext {
  /** The request's correlation id (also Fastify's request id and the error bodies' `requestId`). */
  readonly correlationId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The one async context of a request: entered once per request, read anywhere below it. */
export const requestContext = {
  run<T>(context: RequestContext, fn: () => T): T {
    return storage.run(context, fn);
  },
  current(): RequestContext | undefined {
    return storage.getStore();
  },
};
