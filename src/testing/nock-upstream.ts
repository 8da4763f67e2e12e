// Importing nock patches Node's http module, so only files that stub the upstream import this one.
import nock from 'nock';
export { UPSTREAM } from './upstream-url';

/**
 * Blocks real network (loopback stays open for the app under test), and makes an unstubbed
 * upstream call loud: it is recorded and `assertNoUnmatchedRequests` fails the test.
 */
export function guardUpstream(): { assertNoUnmatchedRequests(): void } {
  const unmatched: string[] = [];
  const onNoMatch = (request: { method?: string; path?: string; href?: string }) => {
    unmatched.push(`${request.method ?? '?'} ${request.href ?? request.path ?? '?'}`);
  };
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
    nock.emitter.on('no match', onNoMatch);
  });
  afterEach(() => {
    nock.cleanAll();
  });
  afterAll(() => {
    nock.emitter.removeListener('no match', onNoMatch);
    nock.enableNetConnect();
    // Each test file loads its own nock, but Node's http module is shared by the files a Jest
    // worker runs: unpatch it, or the next file's nock intercepts on top of this one.
    nock.restore();
  });
  return {
    assertNoUnmatchedRequests() {
      const seen = unmatched.splice(0).filter((line) => !/127\.0\.0\.1|localhost/.test(line));
      expect(seen).toEqual([]);
    },
  };
}

/** Upstream bodies as the real Event API sends them (numeric ids, `userName`). */
export const upstreamUser = (id: number, events: (string | number)[] = []) => ({
  id,
  userName: `User ${id}`,
  email: `user${id}@example.com`,
  events,
});

export const upstreamEvent = (id: number | string, userId: number, name = `Event ${id}`) => ({
  id,
  name,
  userId,
  details: `Details of ${id}`,
});

/**
 * A connection reset, for `replyWithError`. It must be an Error instance: nock 14 never settles
 * the request when given a plain object.
 */
export const networkError = () =>
  Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

/**
 * A reply callback for an upstream that never answers: the request stays open until the gateway
 * gives up. Unlike nock's `delay()`, it leaves no timer behind to keep Jest alive.
 */
export const neverAnswer = (
  _uri: string,
  _body: nock.Body,
  _callback: (error: NodeJS.ErrnoException | null, result: nock.ReplyFnResult) => void,
): void => {
  // nock treats a three-argument reply function as asynchronous: never calling back never answers.
};
