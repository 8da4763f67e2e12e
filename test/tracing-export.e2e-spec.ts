import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { startGateway, startMock, type ServerProcess } from './support/built-servers';
import { sample } from './support/metrics';

// The OTLP exporter loads node:http with a dynamic import(), which Jest's CommonJS runtime cannot
// do; so these tests run the gateway as a real process (and the real mock upstream beside it).

const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const TRACEPARENT = `00-${CALLER_TRACE}-b7ad6b7169203331-01`;

interface OtlpSpan {
  readonly traceId: string;
  readonly name: string;
  readonly kind: number;
}

interface OtlpAttribute {
  readonly key: string;
  readonly value: { readonly stringValue?: string };
}

/** A small OTLP/HTTP JSON receiver: collects the spans posted to /v1/traces. */
function otlpReceiver() {
  const spans: OtlpSpan[] = [];
  const contentTypes: string[] = [];
  const authorizations: string[] = [];
  const resources: Record<string, string | undefined>[] = [];
  const waiters: { until: (spans: OtlpSpan[]) => boolean; resolve: () => void }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      contentTypes.push(String(request.headers['content-type']));
      authorizations.push(String(request.headers.authorization));
      if (request.url === '/v1/traces') {
        const payload = JSON.parse(body) as {
          resourceSpans: {
            resource: { attributes: OtlpAttribute[] };
            scopeSpans: { spans: OtlpSpan[] }[];
          }[];
        };
        for (const { resource, scopeSpans } of payload.resourceSpans) {
          resources.push(
            Object.fromEntries(resource.attributes.map((a) => [a.key, a.value.stringValue])),
          );
          for (const scope of scopeSpans) spans.push(...scope.spans);
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      for (const waiter of waiters.filter((w) => w.until(spans))) waiter.resolve();
    });
  });
  return {
    spans,
    contentTypes,
    authorizations,
    resources,
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => {
          const { port } = server.address() as { port: number };
          resolve(`http://127.0.0.1:${port}`);
        }),
      ),
    received: (until: (spans: OtlpSpan[]) => boolean) =>
      until(spans)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ until, resolve })),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('span export over OTLP/HTTP (e2e, real processes)', () => {
  let mock: ServerProcess;
  let gateway: ServerProcess | undefined;

  beforeAll(async () => {
    mock = await startMock('otlp-mock');
  }, 120_000);

  afterEach(async () => {
    await gateway?.kill();
    gateway = undefined;
  });
  afterAll(async () => {
    await mock?.kill();
  });

  const gatewayWith = async (name: string, env: Record<string, string>) => {
    gateway = await startGateway(name, { EVENT_API_BASE_URL: mock.base, ...env });
    return gateway;
  };

  it("exports the SERVER and CLIENT spans of a request under the caller's trace id, as the OTEL_* variables say", async () => {
    const receiver = otlpReceiver();
    const endpoint = await receiver.listen();
    try {
      const app = await gatewayWith('otlp-export', {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20collector-token',
        OTEL_SERVICE_NAME: 'gateway-under-test',
        OTEL_BSP_SCHEDULE_DELAY: '50',
      });
      const response = await fetch(`${app.base}/users/1`, {
        headers: { traceparent: TRACEPARENT },
      });
      expect(response.status).toBe(200);

      const SERVER = 2;
      const CLIENT = 3;
      await receiver.received(
        (spans) => spans.some((s) => s.kind === SERVER) && spans.some((s) => s.kind === CLIENT),
      );
      expect(receiver.contentTypes[0]).toBe('application/json');
      expect(receiver.authorizations[0]).toBe('Bearer collector-token');
      const { version } = JSON.parse(
        readFileSync(join(__dirname, '..', 'package.json'), 'utf8'),
      ) as { version: string };
      expect(receiver.resources[0]).toMatchObject({
        'service.name': 'gateway-under-test',
        'service.version': version,
      });
      // the built gateway finds package.json too, for its OpenAPI document
      const openApi = (await (await fetch(`${app.base}/docs-json`)).json()) as {
        info: { version: string };
      };
      expect(openApi.info.version).toBe(version);
      const server = receiver.spans.find((span) => span.kind === SERVER)!;
      const client = receiver.spans.find((span) => span.kind === CLIENT)!;
      expect(server).toMatchObject({ name: 'GET /users/:id', traceId: CALLER_TRACE });
      expect(client).toMatchObject({ name: 'event-api getUserById', traceId: CALLER_TRACE });
    } finally {
      await gateway?.kill();
      await receiver.close();
    }
  }, 60_000);

  it('never fails or holds a request when the collector is unreachable: spans are dropped and counted', async () => {
    // A collector that accepts connections and never answers: exports hang until their timeout,
    // the queue fills, and what does not fit must be dropped, not waited for.
    const sockets = new Set<Socket>();
    const blackHole = createNetServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as AddressInfo;
    try {
      const app = await gatewayWith('otlp-black-hole', {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces`,
        OTEL_BSP_MAX_QUEUE_SIZE: '2',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2',
        OTEL_BSP_SCHEDULE_DELAY: '1',
      });
      const dropped = async () =>
        sample(await (await fetch(`${app.base}/metrics`)).text(), 'otel_spans_dropped_total') ?? 0;
      const before = await dropped();
      for (let i = 0; i < 10; i += 1) {
        expect((await fetch(`${app.base}/users`)).status).toBe(200);
      }
      expect((await dropped()) - before).toBeGreaterThan(0);
      // and shutdown is not held by the collector either: the process exits on SIGTERM
      await gateway?.kill('SIGTERM');
      expect(gateway?.process.exitCode).toBe(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    }
  }, 60_000);
});
