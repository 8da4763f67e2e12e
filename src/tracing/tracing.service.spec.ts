import { TraceFlags } from '@opentelemetry/api';
import { Tracing } from './tracing.service';

// sdk-trace 2 no longer reads OTEL_TRACES_SAMPLER(_ARG); the tracing module hands them to it.
describe('Tracing: the sampler from OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    delete process.env.OTEL_TRACES_SAMPLER;
    delete process.env.OTEL_TRACES_SAMPLER_ARG;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  const sampledWith = (env: Record<string, string>): boolean => {
    Object.assign(process.env, env);
    const span = new Tracing({ serviceName: 'test' }).tracer.startSpan('root');
    span.end();
    return (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
  };

  it.each([
    [{}, true],
    [{ OTEL_TRACES_SAMPLER: 'always_off' }, false],
    [{ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, false],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, false],
    [{ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' }, true],
    [{ OTEL_TRACES_SAMPLER: 'always_on' }, true],
  ])('with %p, samples a new trace: %p', (env, sampled) => {
    expect(sampledWith(env)).toBe(sampled);
  });
});
