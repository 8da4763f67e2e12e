import { context, ROOT_CONTEXT, trace, TraceFlags, type SpanContext } from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler } from '@opentelemetry/sdk-trace';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ContextOnlyTracer } from './context-only-tracer';

const parent = (traceFlags: number): SpanContext => ({
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags,
  isRemote: true,
});
const withParent = (spanContext: SpanContext) => trace.setSpanContext(ROOT_CONTEXT, spanContext);

describe('ContextOnlyTracer', () => {
  const afterCleanup: (() => void)[] = [];
  afterEach(() => afterCleanup.splice(0).forEach((cleanup) => cleanup()));
  const tracer = new ContextOnlyTracer(new ParentBasedSampler({ root: new AlwaysOnSampler() }));

  it('continues a parent: its trace id, a new span id, its sampled flag; records nothing', () => {
    const span = tracer.startSpan('GET /users', {}, withParent(parent(TraceFlags.SAMPLED)));
    const { traceId, spanId, traceFlags } = span.spanContext();
    expect(traceId).toBe(parent(0).traceId);
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spanId).not.toBe(parent(0).spanId);
    expect(traceFlags).toBe(TraceFlags.SAMPLED);
    expect(span.isRecording()).toBe(false);
  });

  it("keeps an unsampled parent's decision (parent-based sampling)", () => {
    const span = tracer.startSpan('GET /users', {}, withParent(parent(TraceFlags.NONE)));
    expect(span.spanContext().traceFlags).toBe(TraceFlags.NONE);
  });

  it('starts a new trace at the root, sampled as the sampler says', () => {
    const first = tracer.startSpan('a', {}, ROOT_CONTEXT).spanContext();
    const second = tracer.startSpan('b', {}, ROOT_CONTEXT).spanContext();
    expect(first.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(first.traceId).not.toBe(second.traceId);
    expect(first.traceFlags).toBe(TraceFlags.SAMPLED);
    const off = new ContextOnlyTracer(new AlwaysOffSampler());
    expect(off.startSpan('c', {}, ROOT_CONTEXT).spanContext().traceFlags).toBe(TraceFlags.NONE);
  });

  it('starts a root when asked, whatever the context holds', () => {
    const span = tracer.startSpan('a', { root: true }, withParent(parent(TraceFlags.SAMPLED)));
    expect(span.spanContext().traceId).not.toBe(parent(0).traceId);
  });

  it('makes the span active inside startActiveSpan', () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    afterCleanup.push(() => {
      context.disable();
      manager.disable();
    });
    const seen = tracer.startActiveSpan('a', (span) => {
      expect(trace.getActiveSpan()?.spanContext().spanId).toBe(span.spanContext().spanId);
      return span.spanContext().spanId;
    });
    expect(seen).toMatch(/^[0-9a-f]{16}$/);
    expect(trace.getSpan(context.active())).toBeUndefined();
  });
});
