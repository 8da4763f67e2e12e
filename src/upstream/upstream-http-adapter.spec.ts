import axios, { type AxiosInstance } from 'axios';
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import {
  toEventApiError,
  UpstreamHttpError,
  UpstreamMalformedResponseError,
  UpstreamNetworkError,
  UpstreamTimeoutError,
} from './event-api.errors';
import { flattenDefaultHeaders, upstreamHttpAdapter } from './upstream-http-adapter';
import { parseUpstreamJson } from './upstream-json';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

const MAX_BYTES = 1024;

/** A real loopback server (no nock): what the adapter reads is what a socket delivers. */
describe('upstreamHttpAdapter', () => {
  let server: http.Server;
  let handler: Handler;
  let client: AxiosInstance;
  /** Each request the server saw: method, url, headers, body and the client's port. */
  const seen: {
    method?: string;
    url?: string;
    headers: http.IncomingHttpHeaders;
    body: string;
    port?: number;
  }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body,
          port: req.socket.remotePort,
        });
        handler(req, res, body);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    client = axios.create({
      baseURL: `http://127.0.0.1:${port}/api/`,
      adapter: upstreamHttpAdapter as never,
      maxContentLength: MAX_BYTES,
      transformResponse: [parseUpstreamJson],
      headers: { accept: 'application/json' },
      auth: { username: 'svc', password: 's3cret' },
    });
    flattenDefaultHeaders(client as unknown as Parameters<typeof flattenDefaultHeaders>[0]);
  });

  beforeEach(() => {
    seen.length = 0;
    handler = (_req, res) => json(res, 200, { ok: true });
  });

  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  const failureOf = async (call: Promise<unknown>): Promise<unknown> => {
    try {
      await call;
    } catch (error) {
      return toEventApiError(error, 3000);
    }
    throw new Error('the call succeeded');
  };

  it('sends the method, the path under the base URL, Basic auth and its headers, and parses JSON', async () => {
    handler = (_req, res) => json(res, 200, { id: 7, name: 'x' });

    const response = await client.get('getEventById/7', { headers: { 'x-correlation-id': 'c1' } });

    expect(response.status).toBe(200);
    expect(response.data).toEqual({ id: 7, name: 'x' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/getEventById/7' });
    expect(seen[0].headers).toMatchObject({
      authorization: `Basic ${Buffer.from('svc:s3cret').toString('base64')}`,
      accept: 'application/json',
      'accept-encoding': 'gzip, deflate, br',
      'x-correlation-id': 'c1',
    });
  });

  it('keeps its default headers flat (no bucket per method), sending the same ones', async () => {
    expect(client.defaults.headers).toEqual({ accept: 'application/json' });

    await client.post('addEvent', { name: 'x' }, { headers: { 'x-correlation-id': 'c2' } });

    expect(seen[0].headers).toMatchObject({ accept: 'application/json', 'x-correlation-id': 'c2' });
    expect(seen[0].headers['content-type']).toMatch(/^application\/json/);
  });

  it('sends a JSON body with its length', async () => {
    handler = (_req, res, body) => json(res, 201, JSON.parse(body) as unknown);

    const response = await client.post('addEvent', { name: 'Été' });

    expect(response.status).toBe(201);
    expect(response.data).toEqual({ name: 'Été' });
    expect(seen[0].headers['content-length']).toBe(String(Buffer.byteLength('{"name":"Été"}')));
    expect(seen[0].headers['content-type']).toMatch(/^application\/json/);
  });

  it('reuses the connection for the next call, after a 2xx and after a refused status', async () => {
    handler = (req, res) =>
      req.url?.endsWith('/down') ? json(res, 503, { error: 'busy' }) : json(res, 200, {});

    await client.get('a');
    await expect(client.get('down')).rejects.toMatchObject({ response: { status: 503 } });
    await client.get('b');

    expect(new Set(seen.map((request) => request.port)).size).toBe(1);
  });

  it('rejects a status outside 2xx with it, which maps to UpstreamHttpError', async () => {
    handler = (_req, res) => json(res, 404, { error: 'none' });

    expect(await failureOf(client.get('x'))).toEqual(new UpstreamHttpError(404));
  });

  it.each([
    ['gzip', zlib.gzipSync],
    ['deflate', zlib.deflateSync],
    ['br', zlib.brotliCompressSync],
  ])('decodes a %s answer', async (encoding, compress) => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding });
      res.end(compress(Buffer.from(JSON.stringify({ compressed: encoding }))));
    };

    expect((await client.get('x')).data).toEqual({ compressed: encoding });
  });

  it('drops a UTF-8 byte order mark before parsing', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('\ufeff{"bom":true}');
    };

    expect((await client.get('x')).data).toEqual({ bom: true });
  });

  it.each([
    [
      'a declared Content-Length over the bound',
      (res: http.ServerResponse) => {
        res.writeHead(200, { 'content-length': String(MAX_BYTES + 1) });
        res.end('x'.repeat(MAX_BYTES + 1));
      },
    ],
    [
      'a chunked body that grows past the bound',
      (res: http.ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('['.padEnd(MAX_BYTES / 2, ' '));
        res.end(']'.padStart(MAX_BYTES, ' '));
      },
    ],
    [
      'a small gzip body that inflates past the bound',
      (res: http.ServerResponse) => {
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.end(zlib.gzipSync(Buffer.alloc(MAX_BYTES * 100, 0x20)));
      },
    ],
  ])('refuses %s as a malformed answer', async (_name, answer) => {
    handler = (_req, res) => answer(res);

    expect(await failureOf(client.get('big'))).toBeInstanceOf(UpstreamMalformedResponseError);
  });

  it('a refused status with a body of unknown length ends the call at once and closes the connection', async () => {
    let closed = false;
    handler = (req, res) => {
      req.socket.on('close', () => (closed = true));
      res.writeHead(503, { 'content-type': 'text/plain' }); // chunked, and never ends
      res.write('busy');
    };

    expect(await failureOf(client.get('x'))).toEqual(new UpstreamHttpError(503));
    await waitFor(() => closed);
  });

  it('passes a body in an encoding it did not ask for through as it came', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'zstd-ish' });
      res.end('{"raw":true}');
    };

    expect((await client.get('x')).data).toEqual({ raw: true });
  });

  it('fails as a network error when the connection drops in the middle of the body', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"partial":');
      setImmediate(() => res.socket?.destroy());
    };

    expect(await failureOf(client.get('x'))).toBeInstanceOf(UpstreamNetworkError);
  });

  it('fails as a network error with the socket code when nothing listens', async () => {
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as AddressInfo;
    closed.close();
    await once(closed, 'close');

    const failure = await failureOf(client.get('x', { baseURL: `http://127.0.0.1:${port}` }));

    expect(failure).toEqual(new UpstreamNetworkError('ECONNREFUSED'));
  });

  it('stops the call when its signal aborts, and a deadline maps to UpstreamTimeoutError', async () => {
    let answered = false;
    handler = () => undefined; // never answers
    const deadline = new AbortController();
    const call = client.get('slow', { signal: deadline.signal });
    await waitFor(() => seen.length === 1);

    deadline.abort(new DOMException('deadline', 'TimeoutError'));
    const failure = await failureOf(call.then(() => (answered = true)));

    expect(failure).toEqual(new UpstreamTimeoutError(3000));
    expect(answered).toBe(false);
  });

  it('a call aborted for another reason is a cancellation, not an upstream failure', async () => {
    handler = () => undefined;
    const race = new AbortController();
    const call = client.get('slow', { signal: race.signal });
    await waitFor(() => seen.length === 1);

    race.abort(new Error('lost the race'));

    await expect(call).rejects.toMatchObject({ __CANCEL__: true, code: 'ERR_CANCELED' });
    expect(toEventApiError(await call.catch((error: unknown) => error), 3000)).not.toBeInstanceOf(
      UpstreamNetworkError,
    );
  });

  it.each(['http://elsewhere.test/x', '//elsewhere.test/x'])(
    'refuses a whole URL (%s) in place of a path, sending nothing',
    async (url) => {
      await expect(client.get(url)).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
      expect(seen).toEqual([]);
    },
  );

  it('tells onSent once, when the request goes out, and not for a call that never leaves', async () => {
    const onSent = jest.fn();
    let sentBeforeArrival: number | undefined;
    handler = (_req, res) => {
      sentBeforeArrival = onSent.mock.calls.length;
      json(res, 200, {});
    };

    await client.get('x', { onSent } as object);
    await expect(
      client.get('y', { onSent, signal: AbortSignal.abort() } as object),
    ).rejects.toMatchObject({
      __CANCEL__: true,
    });

    expect(sentBeforeArrival).toBe(1);
    expect(onSent).toHaveBeenCalledTimes(1);
  });

  it('resolves dot segments as axios did, so an id of ".." never reaches the upstream as written', async () => {
    await client.get('getUserById/..');
    await client.get('getUserById/./7');

    expect(seen.map((request) => request.url)).toEqual(['/api/', '/api/getUserById/7']);
  });

  it('sends nothing when the signal has already aborted', async () => {
    const call = client.get('x', { signal: AbortSignal.abort() });

    await expect(call).rejects.toMatchObject({ __CANCEL__: true });
    await client.get('after');
    expect(seen.map((request) => request.url)).toEqual(['/api/after']);
  });
});

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Waits for a condition on the server's side (a request arrived), polling once per event-loop turn. */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
