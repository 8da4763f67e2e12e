import { once } from 'node:events';
import { Agent, createServer, get, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startGateway, type ServerProcess } from './support/built-servers';

/**
 * An upstream that holds every getEventById call until the test lets it answer: the test knows a
 * request is in flight at the gateway without guessing at timings.
 */
async function startHoldingUpstream() {
  const held: ServerResponse[] = [];
  const arrivals: (() => void)[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const match = /^\/getEventById\/(\w+)$/.exec(request.url ?? '');
    if (!match) {
      response.writeHead(404).end();
      return;
    }
    held.push(response);
    arrivals.shift()?.();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Resolves when the next call arrives. */
    arrival: () => new Promise<void>((resolve) => arrivals.push(resolve)),
    /** Answers every held call. */
    release(): void {
      for (const response of held.splice(0)) {
        const id = /\/(\w+)$/.exec(response.req.url ?? '')?.[1] ?? '1';
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ id, name: `Event ${id}`, userId: 1 }));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A GET over `agent`, resolving with the status, headers and body once the answer is read. */
function request(base: string, path: string, agent: Agent) {
  return new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>(
    (resolve, reject) => {
      get(`${base}${path}`, { agent }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      }).on('error', reject);
    },
  );
}

/** Resolves once the gateway's readiness fails (shutdown has begun), asking on new connections. */
async function shuttingDown(base: string): Promise<void> {
  const fresh = new Agent({ keepAlive: false });
  try {
    while ((await request(base, '/ready', fresh)).status !== 503) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    fresh.destroy();
  }
}

describe('graceful shutdown (e2e, the built gateway as a process)', () => {
  let gateway: ServerProcess | undefined;
  let upstream: Awaited<ReturnType<typeof startHoldingUpstream>> | undefined;
  afterEach(async () => {
    await gateway?.kill('SIGKILL');
    await upstream?.close();
  });

  it('answers a request in flight at SIGTERM with Connection: close and exits 0 once it is written', async () => {
    upstream = await startHoldingUpstream();
    gateway = await startGateway('shutdown-in-flight', {
      EVENT_API_BASE_URL: upstream.url,
      // Readiness fails during the drain: the test sees when shutdown has begun.
      SHUTDOWN_DRAIN_MS: '300',
      // Far longer than the test: a keep-alive socket left open would hold the process until the
      // shutdown deadline, and it would exit 1.
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '600000',
      SHUTDOWN_TIMEOUT_MS: '3000',
      READ_CACHE_TTL_MS: '0',
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // A first answer leaves a kept-alive connection, as a real client's would.
      const warm = request(gateway.base, '/events/1', agent);
      await upstream.arrival();
      upstream.release();
      expect((await warm).status).toBe(200);

      const arrived = upstream.arrival();
      const inFlight = request(gateway.base, '/events/2', agent);
      await arrived;
      const exited = once(gateway.process, 'exit') as Promise<[number | null, string | null]>;
      gateway.process.kill('SIGTERM');
      await shuttingDown(gateway.base);
      // The gateway is draining with the request in hand; now the upstream answers it.
      upstream.release();
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(answer.headers.connection).toBe('close');
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    } finally {
      agent.destroy();
    }
  }, 120_000);
});
