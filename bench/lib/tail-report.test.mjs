// node --test bench/ (npm run test:bench): the straggler and overload scenarios' rows: their
// targets judged on the gateway as shipped only, against one round trip and the baseline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRows, renderMarkdown, renderTable } from './report.mjs';
import { loadSettings } from './settings.mjs';

const settings = { ...loadSettings([]), scenarios: ['straggler', 'overload'] };

const fanOut = (samples, { p50, p99, max, extraCalls, calmMedian = 55 }) => ({
  env: {},
  path: '/v1/users/9050/events',
  samples,
  calmSamples: [calmMedian],
  calmMedian,
  p50,
  p99,
  max,
  eventCalls: 600,
  stragglers: 12,
  extraCalls,
});

const openRun = ({ goodput, p99Ok, refusalsRate = 0, peak = 32 }) => ({
  env: {},
  path: '/v1/events/:id',
  offeredRate: 640,
  goodput,
  refusalsRate,
  failuresRate: 1,
  unsentRate: 0,
  p50Ok: 101,
  p99Ok,
  maxOk: p99Ok + 10,
  p99All: p99Ok,
  p99OkAfterFirstSecond: p99Ok - 50,
  statuses: { 200: 3000, 503: 200 },
  unloaded: { p50Ok: 102 },
  upstream: { calls: 3100, peakInFlight: peak, overCapacity: 10, overloadErrors: 2 },
});

function results({ straggler = {}, overload = {} } = {}) {
  return {
    meta: {
      startedAt: '2026-01-01T00:00:00.000Z',
      gatewayEntry: 'dist/bundle/main.js',
      machine: {
        cpu: 'test',
        cores: 2,
        memoryGiB: 4,
        loadAverage: [0, 0, 0],
        node: 'v24',
        os: 'x',
      },
      gatewayEnv: {},
    },
    startup: {},
    idleRss: {},
    cacheHit: {},
    fanOut: { sizes: {} },
    throughput: {},
    decay: { runs: [] },
    openBreaker: {},
    memoryAfterLoad: {},
    answerDifferences: [],
    warnings: [],
    errors: [],
    straggler: {
      roundTripMs: 50,
      repeats: 12,
      events: 50,
      variants: {
        on: fanOut([120, 140], { p50: 120, p99: 290, max: 290, extraCalls: 0.1 }),
        off: fanOut([2050, 2100], { p50: 2050, p99: 2100, max: 2100, extraCalls: 0 }),
        baseline: fanOut([2040, 2060], { p50: 2040, p99: 2060, max: 2060, extraCalls: 0 }),
        ...straggler,
      },
    },
    overload: {
      roundTripMs: 101,
      variants: {
        on: openRun({ goodput: 300, p99Ok: 180, refusalsRate: 300 }),
        off: openRun({ goodput: 90, p99Ok: 2300, peak: 256 }),
        baseline: openRun({ goodput: 100, p99Ok: 2400, peak: 256 }),
        ...overload,
      },
    },
  };
}

const row = (rows, label) => {
  const found = rows.find((candidate) => candidate.label === label);
  if (!found) throw new Error(`no row ${label}`);
  return found;
};

test('straggler: the hedged gateway judged against one round trip and the extra fetches', () => {
  const rows = buildRows(results(), settings);
  assert.match(
    rows.find((r) => r.section?.startsWith('Straggler')).section,
    /every 50th event fetch 2000 ms, the others 50 ms; one round trip 50.0 ms/,
  );
  const median = row(rows, 'hedging on: median ms (x rt)');
  assert.deepEqual(
    [median.gateway, median.baseline, median.target, median.met],
    ['120 (2.40x rt)', '2040 (40.80x rt)', '≤ 3x round trip', true],
  );
  const slowest = row(rows, 'hedging on: slowest ms (x rt)');
  assert.deepEqual(
    [slowest.gateway, slowest.target, slowest.met],
    ['290 (5.80x rt)', '≤ 6x round trip', true],
  );
  const extra = row(rows, 'hedging on: extra event fetches');
  assert.deepEqual([extra.gateway, extra.baseline, extra.met], ['10%', '0%', true]);
  // Hedging off: figures beside the baseline, no target.
  const offMedian = row(rows, 'hedging off: median ms (x rt)');
  assert.equal(offMedian.gateway, '2050 (41.00x rt)');
  assert.equal(offMedian.target, undefined);
});

test('straggler: each target missed on its own bound', () => {
  const on = fanOut([151, 301], { p50: 151, p99: 301, max: 301, extraCalls: 0.151 });
  const rows = buildRows(results({ straggler: { on } }), settings);
  assert.equal(row(rows, 'hedging on: median ms (x rt)').met, false);
  assert.equal(row(rows, 'hedging on: slowest ms (x rt)').met, false);
  assert.equal(row(rows, 'hedging on: extra event fetches').met, false);
});

test('overload: goodput against the baseline, p99 of 2xx against the unloaded round trip', () => {
  const rows = buildRows(results(), settings);
  const goodput = row(rows, 'limit on: goodput, 2xx/s');
  assert.deepEqual(
    [goodput.gateway, goodput.baseline, goodput.ratio, goodput.target, goodput.met],
    ['300', '100', '3.00x', '≥ baseline', true],
  );
  const p99 = row(rows, 'limit on: p99 of 2xx, ms (x rt)');
  assert.deepEqual([p99.gateway, p99.target, p99.met], ['180 (1.78x rt)', '≤ 2x round trip', true]);
  const settled = row(rows, 'limit on: the same, sent after the first second');
  assert.deepEqual([settled.gateway, settled.target], ['130 (1.29x rt)', undefined]);
  assert.equal(row(rows, 'limit on: refused (503)/s').gateway, '300');
  assert.equal(row(rows, 'limit on: upstream in flight, peak').baseline, '256');
  const off = row(rows, 'limit off: goodput, 2xx/s');
  assert.deepEqual([off.gateway, off.target], ['90', undefined]);
});

test('overload: targets missed below the baseline or over twice the round trip', () => {
  const on = openRun({ goodput: 99, p99Ok: 203 });
  const rows = buildRows(results({ overload: { on } }), settings);
  assert.equal(row(rows, 'limit on: goodput, 2xx/s').met, false);
  assert.equal(row(rows, 'limit on: p99 of 2xx, ms (x rt)').met, false);
});

test('overload: the gateway sized to the upstream gets rows and targets of its own, when it ran', () => {
  const sized = openRun({ goodput: 290, p99Ok: 250 });
  const rows = buildRows(results({ overload: { sized } }), settings);
  const name = `limit on, UPSTREAM_MAX_CONCURRENCY=${settings.overload.capacity}`;
  assert.equal(row(rows, `${name}: goodput, 2xx/s`).met, true);
  assert.equal(row(rows, `${name}: p99 of 2xx, ms (x rt)`).met, false);
  assert.equal(row(rows, 'limit on: p99 of 2xx, ms (x rt)').met, true);
  assert.equal(
    buildRows(results(), settings).some((r) => r.label?.startsWith(name)),
    false,
  );
});

test('a scenario that failed leaves its targets not measured, not met', () => {
  const failed = results();
  failed.overload = {};
  const rows = buildRows(failed, settings);
  assert.equal(row(rows, 'limit on: goodput, 2xx/s').met, undefined);
  assert.match(renderTable(failed, settings, rows), /Targets met: 3 of 5 \(2 not measured\)/);
});

test('report.md lists every fan-out and each overload run with what the mock saw', () => {
  const all = results();
  all.straggler.variants.off.env = { UPSTREAM_HEDGE_READS: 'false' };
  const markdown = renderMarkdown(all, settings, buildRows(all, settings));
  assert.match(markdown, /### Straggler fan-outs/);
  assert.match(
    markdown,
    /\| gateway, feature off \| UPSTREAM_HEDGE_READS=false \| \/v1\/users\/9050\/events \| 2050, 2100 \|/,
  );
  assert.match(markdown, /### Overload runs \(open loop\)/);
  assert.match(markdown, /\| baseline \| — \| 640 \| 100 \|/);
});
