import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { BREAKER_STATE_VALUE } from '../src/metrics/metric-names';
import { startRedis, type RedisServer } from './support/redis-server';
import { createTestApp } from './support/test-app';

// Every metric the dashboard and the alert rules query must be one the app really exports.

const DIR = join(__dirname, '..', 'deploy', 'observability');
const dashboard = JSON.parse(readFileSync(join(DIR, 'grafana-dashboard.json'), 'utf8'));
const alerts = parse(readFileSync(join(DIR, 'alerts.yaml'), 'utf8'));

const PROMQL_WORDS = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'rate',
  'increase',
  'by',
  'without',
  'histogram_quantile',
  'le',
  'and',
  'or',
]);

/** Metric names in a PromQL expression: drop label matchers and groupings, keep identifiers. */
function metricNames(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/\b(by|without)\s*\([^)]*\)/g, '');
  const names = withoutLabels.match(/\b[a-z_][a-z0-9_]*\b/g) ?? [];
  return names
    .filter((name) => !PROMQL_WORDS.has(name) && name.includes('_'))
    .map((name) => name.replace(/_(bucket|count|sum)$/, ''));
}

const dashboardExprs: string[] = dashboard.panels.flatMap((panel: any) =>
  panel.targets.map((t: any) => t.expr),
);
const alertExprs: string[] = alerts.groups.flatMap((group: any) =>
  group.rules.map((rule: any) => rule.expr),
);

describe('Grafana dashboard and Prometheus alerts', () => {
  let app: NestFastifyApplication;
  let exported: Set<string>;

  let redis: RedisServer;

  beforeAll(async () => {
    // With Redis, so that the metrics that exist only with shared state are exported too.
    redis = await startRedis();
    app = await createTestApp({ REDIS_URL: redis.url });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    exported = new Set([...metrics.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]));
  });
  afterAll(async () => {
    await app.close();
    await redis.stop();
  });

  it('finds metric names in every query', () => {
    for (const expr of [...dashboardExprs, ...alertExprs])
      expect(metricNames(expr).length).toBeGreaterThan(0);
  });

  it.each([...new Set([...dashboardExprs, ...alertExprs].flatMap(metricNames))])(
    '%s is exported at /metrics',
    (name) => {
      expect(exported).toContain(name);
    },
  );

  it('names every value of circuit_breaker_state in the breaker state panel', () => {
    const panel = dashboard.panels.find((p: any) =>
      p.targets.some((t: any) => metricNames(t.expr).includes('circuit_breaker_state')),
    );
    const named = Object.fromEntries(
      panel.fieldConfig.defaults.mappings
        .filter((mapping: any) => mapping.type === 'value')
        .flatMap((mapping: any) => Object.entries(mapping.options))
        .map(([value, option]: [string, any]) => [option.text, Number(value)]),
    );
    expect(named).toEqual(BREAKER_STATE_VALUE);
    expect(panel.title).toContain('3 forced open, 4 disabled');
  });

  it('has the alerts the runbook expects', () => {
    const rules = alerts.groups.flatMap((group: any) => group.rules);
    expect(rules.map((rule: any) => [rule.alert, rule.for])).toEqual([
      ['EventGatewayCircuitBreakerOpen', '1m'],
      ['EventGatewayCircuitBreakerOverridden', '30m'],
      ['EventGatewayHighErrorRate', '5m'],
      ['EventGatewayHighLatencyP95', '5m'],
      ['EventGatewayRedisDown', '5m'],
    ]);
    expect(rules[0].expr).toContain(`== ${BREAKER_STATE_VALUE.OPEN}`);
    expect(rules[1].expr).toContain(`>= ${BREAKER_STATE_VALUE.FORCED_OPEN}`);
    expect(rules[2].expr).toContain('> 0.01');
    expect(rules[3].expr).toContain('> 0.3');
    expect(rules[4].expr).toBe('min(redis_up) == 0');
  });
});
