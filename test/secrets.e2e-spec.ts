import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startGateway, type ServerProcess } from './support/built-servers';

describe('secrets stay out of logs (e2e, the built gateway as a process)', () => {
  let gateway: ServerProcess | undefined;
  const seen: (string | undefined)[] = [];
  const upstream = createServer((request: IncomingMessage, response: ServerResponse) => {
    seen.push(request.headers.authorization);
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify([{ id: 1, name: 'Event 1', userId: 1 }]));
  });
  beforeAll(async () => {
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
  });
  afterAll(async () => {
    await gateway?.kill();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('never logs the password of EVENT_API_BASE_URL, and sends it as Basic auth', async () => {
    const { port } = upstream.address() as AddressInfo;
    gateway = await startGateway('secrets', {
      EVENT_API_BASE_URL: `http://svc-user:S3cretPw@127.0.0.1:${port}`,
      LOG_LEVEL: 'debug',
      READ_CACHE_TTL_MS: '0',
    });
    const response = await fetch(`${gateway.base}/events`);
    expect(response.status).toBe(200);
    await gateway.kill();
    const log = readFileSync(gateway.log, 'utf8');
    expect(log).toContain(`Upstream Event API: http://127.0.0.1:${port}`);
    expect(log).not.toContain('S3cretPw');
    expect(seen).toContain(`Basic ${Buffer.from('svc-user:S3cretPw').toString('base64')}`);
  }, 120_000);
});
