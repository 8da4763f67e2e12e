import nock from 'nock';
import { guardUpstream, UPSTREAM } from '../src/testing/nock-upstream';
import { useTestApp } from './support/test-app';

const upstream = guardUpstream();

describe('a hostile upstream (e2e)', () => {
  const gateway = useTestApp();
  afterEach(() => upstream.assertNoUnmatchedRequests());

  it('refuses a deeply nested body (1 MiB of brackets) as malformed without parsing it', async () => {
    const app = await gateway.start();
    const depth = 512 * 1024;
    const deep = '['.repeat(depth) + ']'.repeat(depth);
    nock(UPSTREAM).get('/getEvents').reply(200, deep, { 'content-type': 'application/json' });
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const response = await app.inject({ method: 'GET', url: '/events' });
      expect(response.statusCode).toBe(502);
      expect(response.json()).toMatchObject({ code: 'UPSTREAM_MALFORMED_RESPONSE' });
      // The work is bounded: the deep body was never handed to the parser.
      expect(parse.mock.calls.filter(([text]) => text === deep)).toHaveLength(0);
    } finally {
      parse.mockRestore();
    }
  });
});
