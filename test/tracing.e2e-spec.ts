import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import nock from 'nock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CircuitBreakerRegistry } from '../src/circuit-breaker';
import { READ_BREAKER } from '../src/upstream/upstream-breakers';
import { guardUpstream, UPSTREAM, upstreamEvent, upstreamUser } from '../src/testing/nock-upstream';
import { LogCapture } from './support/log-capture';
import { flushIo, useTestApp } from './support/test-app';

const upstream = guardUpstream();

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;
const TRACEPARENT_SHAPE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

describe('tracing (e2e, in-memory span exporter)', () => {
  const gateway = useTestApp();
  let exporter: InMemorySpanExporter;
  let app: NestFastifyApplication;
  let logs: LogCapture;

  beforeEach(async () => {
    exporter = new InMemorySpanExporter();
    logs = new LogCapture();
    app = await gateway.start({ LOG_LEVEL: 'info' }, { spanExporter: exporter, logs });
  });
  afterEach(() => upstream.assertNoUnmatchedRequests());

  const spans = () => exporter.getFinishedSpans();
  const server = () => spans().filter((span) => span.kind === SpanKind.SERVER);
  const clients = () => spans().filter((span) => span.kind === SpanKind.CLIENT);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers });

  it('makes one SERVER span per request, named by route template, with HTTP attributes and status', async () => {
    nock(UPSTREAM).get('/getUserById/1').reply(200, upstreamUser(1));
    await get('/users/1');
    const [span] = server();
    expect(server()).toHaveLength(1);
    expect(span.name).toBe('GET /users/:id');
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/users/:id',
      'url.path': '/users/1',
      'http.response.status_code': 200,
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("continues the caller's trace, and sends it upstream parented on each CLIENT span", async () => {
    const sent: string[] = [];
    nock(UPSTREAM)
      .get('/getUserById/2')
      .reply(function () {
        sent.push(String(this.req.headers.traceparent));
        return [200, upstreamUser(2, ['1', '2'])];
      })
      .get(/\/getEventById\/\d/)
      .times(2)
      .reply(function (uri) {
        sent.push(String(this.req.headers.traceparent));
        return [200, upstreamEvent(uri.split('/').pop()!, 2)];
      });
    await get('/users/2/events', { traceparent: TRACEPARENT });

    const [request] = server();
    expect(request.spanContext().traceId).toBe(CALLER_TRACE);
    expect(parentOf(request)).toBe(CALLER_SPAN);
    expect(
      clients()
        .map((span) => span.name)
        .sort(),
    ).toEqual(['event-api getEventById', 'event-api getEventById', 'event-api getUserById']);
    for (const client of clients()) {
      expect(client.spanContext().traceId).toBe(CALLER_TRACE);
      expect(parentOf(client)).toBe(request.spanContext().spanId);
      expect(client.attributes).toMatchObject({
        'circuit_breaker.name': READ_BREAKER,
        'event_api.outcome': 'success',
        'http.response.status_code': 200,
      });
    }
    // Each upstream call carried the trace id and its own CLIENT span as parent.
    const clientSpanIds = clients()
      .map((span) => span.spanContext().spanId)
      .sort();
    const parents = sent.map((header) => TRACEPARENT_SHAPE.exec(header)!);
    expect(parents.map((match) => match[1])).toEqual([CALLER_TRACE, CALLER_TRACE, CALLER_TRACE]);
    expect(parents.map((match) => match[2]).sort()).toEqual(clientSpanIds);
  });

  it('starts a trace when the caller sends none, and still sends traceparent upstream', async () => {
    let sent = '';
    nock(UPSTREAM)
      .get('/getUsers')
      .reply(function () {
        sent = String(this.req.headers.traceparent);
        return [200, []];
      });
    await get('/users');
    const traceId = server()[0].spanContext().traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe(CALLER_TRACE);
    expect(TRACEPARENT_SHAPE.exec(sent)?.[1]).toBe(traceId);
  });

  it('makes a second CLIENT span for a retry, and marks failures as errors', async () => {
    nock(UPSTREAM).get('/getEvents').times(2).reply(503);
    const response = await get('/events');
    expect(response.statusCode).toBe(502);
    expect(clients()).toHaveLength(2);
    for (const client of clients()) {
      expect(client.status.code).toBe(SpanStatusCode.ERROR);
      expect(client.attributes['event_api.outcome']).toBe('http_5xx');
    }
    expect(server()[0].status.code).toBe(SpanStatusCode.ERROR);
  });

  it('records a breaker refusal as an event on the request span, with no CLIENT span', async () => {
    app.get(CircuitBreakerRegistry).get(READ_BREAKER).forceOpen();
    expect((await get('/users')).statusCode).toBe(503);
    expect(clients()).toEqual([]);
    expect(server()[0].events).toEqual([
      expect.objectContaining({
        name: 'circuit_breaker.rejected',
        attributes: expect.objectContaining({
          'circuit_breaker.name': READ_BREAKER,
          'circuit_breaker.state': 'FORCED_OPEN',
        }),
      }),
    ]);
  });

  it('links a request that joined a read in flight to the request that started it', async () => {
    let answer: (() => void) | undefined;
    nock(UPSTREAM)
      .get('/getUsers')
      .reply((_uri, _body, callback) => {
        answer = () => callback(null, [200, []]);
      });
    const first = get('/users', { traceparent: TRACEPARENT });
    while (!answer) await flushIo();
    const second = get('/getUsers');
    await flushIo();
    answer();
    await Promise.all([first, second]);
    expect(clients()).toHaveLength(1);
    const joined = server().find((span) => span.name === 'GET /getUsers')!;
    const started = server().find((span) => span.name === 'GET /users')!;
    expect(joined.links).toEqual([
      expect.objectContaining({
        context: expect.objectContaining({ spanId: started.spanContext().spanId }),
        attributes: { 'event_api.coalesced': true },
      }),
    ]);
  });

  it("gives package.json's name and version to the spans' resource and the OpenAPI document", async () => {
    const { name, version } = JSON.parse(
      readFileSync(join(__dirname, '..', 'package.json'), 'utf8'),
    ) as { name: string; version: string };
    nock(UPSTREAM).get('/getUsers').reply(200, []);
    await get('/users');
    expect(server()[0].resource.attributes).toMatchObject({
      'service.name': name,
      'service.version': version,
    });
    const openApi = (await get('/docs-json')).json<{ info: { version: string } }>();
    expect(openApi.info.version).toBe(version);
  });

  it('does not trace probes and scrapes', async () => {
    for (const url of ['/health', '/ready', '/metrics']) await get(url);
    expect(spans()).toEqual([]);
  });

  it("puts the request's trace_id and span_id on its log lines", async () => {
    nock(UPSTREAM).get('/getEvents').times(2).reply(503);
    await get('/events', { traceparent: TRACEPARENT, 'x-correlation-id': 'traced-1' });
    const lines = logs.lines.filter((line) => line.correlationId === 'traced-1');
    const spanId = server()[0].spanContext().spanId;
    expect(lines.length).toBeGreaterThanOrEqual(2); // the failure's warning and the request line
    for (const line of lines)
      expect(line).toMatchObject({ trace_id: CALLER_TRACE, span_id: spanId });
  });
});

// Without an exporter (the default) spans are not recorded, but the trace context still flows:
// the caller's trace goes upstream and into the log lines, each hop with a span id of its own.
describe('tracing (e2e, no exporter: the trace context only)', () => {
  const gateway = useTestApp();
  afterEach(() => upstream.assertNoUnmatchedRequests());

  it("continues the caller's trace upstream and in the log line, with new span ids", async () => {
    const logs = new LogCapture();
    const app = await gateway.start({ LOG_LEVEL: 'info' }, { logs });
    const sent: string[] = [];
    nock(UPSTREAM)
      .get('/getUserById/2')
      .reply(function () {
        sent.push(String(this.req.headers.traceparent));
        return [200, upstreamUser(2, ['1'])];
      })
      .get('/getEventById/1')
      .reply(function () {
        sent.push(String(this.req.headers.traceparent));
        return [200, upstreamEvent('1', 2)];
      });
    const response = await app.inject({
      method: 'GET',
      url: '/users/2/events',
      headers: { traceparent: TRACEPARENT, 'x-correlation-id': 'context-only' },
    });
    expect(response.statusCode).toBe(200);
    const parents = sent.map((header) => TRACEPARENT_SHAPE.exec(header)!);
    expect(parents.map((match) => match[1])).toEqual([CALLER_TRACE, CALLER_TRACE]);
    // Sampled, as the caller said; each upstream call its own span id, none the caller's.
    for (const header of sent) expect(header.endsWith('-01')).toBe(true);
    const spanIds = new Set(parents.map((match) => match[2]));
    expect(spanIds.size).toBe(2);
    expect(spanIds.has(CALLER_SPAN)).toBe(false);
    await flushIo();
    const line = logs.lines.find((entry) => entry.correlationId === 'context-only');
    expect(line).toMatchObject({ trace_id: CALLER_TRACE });
    expect(line?.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect([CALLER_SPAN, ...spanIds]).not.toContain(line?.span_id);
  });
});
