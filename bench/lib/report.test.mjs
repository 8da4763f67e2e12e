// node --test bench/ (npm run test:bench): the cache-hit scenario's rows: ratios to the ceiling
// and to nginx, its two targets judged on them, and the accounting rows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRows, renderMarkdown, renderTable } from './report.mjs';
import { loadSettings } from './settings.mjs';

const settings = {
  ...loadSettings([]),
  scenarios: ['cache-hit'],
  connections: 50,
  durationS: 10,
  cacheHitRounds: 2,
};

const server = (rps, p50, p99, cpuUsPerRequest, upstreamCalls) => ({
  rps,
  p50,
  p99,
  cpuUsPerRequest,
  upstreamCalls,
  answers: rps * 20,
  runs: [],
});

function results({ gateway, ceiling, nginx, accounting, nginxSkipped } = {}) {
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
    fanOut: { sizes: {} },
    throughput: {},
    decay: { runs: [] },
    openBreaker: {},
    memoryAfterLoad: {},
    answerDifferences: [],
    warnings: [],
    errors: [],
    cacheHit: {
      path: '/users/1',
      tool: 'wrk',
      toolWhy: 'test',
      body: { bytes: 77, contentType: 'application/json; charset=utf-8' },
      servers: {
        gateway: gateway ?? server(20_000, 2, 6, 50, 4),
        ceiling: ceiling ?? server(32_000, 1.5, 5, 30, 0),
        ...(nginxSkipped ? {} : { nginx: nginx ?? server(40_000, 1.2, 3, 20, 4) }),
      },
      ...(nginxSkipped ? { nginxSkipped } : { nginx: { bytes: 79, status: 200 } }),
      accounting: accounting ?? {
        answersCounted: 400_000,
        slack: 152,
        logLines: 400_050,
        logLinesWithIds: 400_050,
        histogram: 400_050,
        histogramName: 'http_request_duration_seconds',
      },
    },
  };
}

const byLabel = (rows, label, section) => {
  let current;
  for (const row of rows) {
    if (row.section) current = row;
    else if (row.label === label && current.section.startsWith(section)) return row;
  }
  throw new Error(`no row ${label} in ${section}`);
};

test('only the scenarios that ran have sections; the cache hit has one per anchor', () => {
  const rows = buildRows(results(), settings);
  const sections = rows.filter((row) => row.section);
  assert.equal(sections.length, 2);
  assert.match(
    sections[0].section,
    /^Cache hit: GET \/users\/1.*ceiling.*wrk 50 connections, 2 x 10 s/,
  );
  assert.equal(sections[0].against, 'ceiling');
  assert.match(sections[1].section, /^Cache hit against nginx/);
  assert.equal(sections[1].against, 'nginx');
});

test('ratios gateway / ceiling and gateway / nginx, and the two targets met', () => {
  const rows = buildRows(results(), settings);
  const rps = byLabel(rows, 'GET /users/1 req/s', 'Cache hit: ');
  assert.deepEqual(
    [rps.gateway, rps.baseline, rps.ratio, rps.target, rps.met],
    ['20000', '32000', '0.63x', '≥ 0.5x ceiling', true],
  );
  const p99 = byLabel(rows, 'GET /users/1 p99, ms', 'Cache hit: ');
  assert.deepEqual([p99.ratio, p99.met], ['1.20x', true]);
  const cpu = byLabel(rows, 'CPU per request, µs', 'Cache hit: ');
  assert.deepEqual([cpu.gateway, cpu.baseline, cpu.ratio], ['50.0', '30.0', '1.67x']);
  const calls = byLabel(rows, 'upstream calls during the runs', 'Cache hit: ');
  assert.deepEqual([calls.gateway, calls.baseline, calls.ratio], ['4', '0', '']);

  const nginxRps = byLabel(rows, 'GET /users/1 req/s', 'Cache hit against nginx');
  assert.deepEqual(
    [nginxRps.baseline, nginxRps.ratio, nginxRps.target],
    ['40000', '0.50x', undefined],
  );
  const nginxP99 = byLabel(rows, 'GET /users/1 p99, ms', 'Cache hit against nginx');
  assert.equal(nginxP99.ratio, '2.00x');
});

test('targets missed: under half the ceiling, p99 over 1.5x', () => {
  const rows = buildRows(
    results({ gateway: server(15_000, 3, 7.6, 60, 4), ceiling: server(30_001, 1, 5, 30, 0) }),
    settings,
  );
  assert.equal(byLabel(rows, 'GET /users/1 req/s', 'Cache hit: ').met, false);
  assert.equal(byLabel(rows, 'GET /users/1 p99, ms', 'Cache hit: ').met, false);
  assert.match(renderTable(results(), settings, rows), /Targets met: \d of 4/);
});

test('accounting: every answer logged once with ids and counted in the histogram', () => {
  const label = 'log lines with correlation + trace id / all';
  const good = buildRows(results(), settings);
  assert.equal(byLabel(good, label, 'Cache hit: ').met, true);
  assert.equal(byLabel(good, label, 'Cache hit: ').gateway, '400050 of 400050');
  const histogram = 'request histogram count (route /users/:id)';
  assert.equal(byLabel(good, histogram, 'Cache hit: ').met, true);
  const base = results().cacheHit.accounting;
  const judge = (change) => buildRows(results({ accounting: { ...base, ...change } }), settings);
  // a line without ids, lines missing, lines logged twice, histogram off by one
  assert.equal(byLabel(judge({ logLinesWithIds: 400_049 }), label, 'Cache hit: ').met, false);
  assert.equal(
    byLabel(judge({ logLines: 399_999, logLinesWithIds: 399_999 }), label, 'Cache hit: ').met,
    false,
  );
  assert.equal(
    byLabel(judge({ logLines: 800_000, logLinesWithIds: 800_000 }), label, 'Cache hit: ').met,
    false,
  );
  assert.equal(byLabel(judge({ histogram: 400_049 }), histogram, 'Cache hit: ').met, false);
});

test('nginx skipped: its section says why, its figures are blank, the ceiling is still judged', () => {
  const skipped = results({ nginxSkipped: 'nginx is not on PATH' });
  const rows = buildRows(skipped, settings);
  assert.match(rows.filter((row) => row.section)[1].section, /skipped \(nginx is not on PATH\)/);
  const nginxRps = byLabel(rows, 'GET /users/1 req/s', 'Cache hit against nginx');
  assert.deepEqual([nginxRps.baseline, nginxRps.ratio], ['—', '']);
  assert.equal(byLabel(rows, 'GET /users/1 req/s', 'Cache hit: ').met, true);
});

test('the terminal table and report.md name the anchor in their column headers', () => {
  const rows = buildRows(results(), settings);
  const table = renderTable(results(), settings, rows);
  assert.match(table, /^figure\s+gateway\s+ceiling\s+gw\/ceil\s+target\s+met$/m);
  assert.match(table, /^figure\s+gateway\s+nginx\s+gw\/nginx\s+target\s+met$/m);
  const markdown = renderMarkdown(results(), settings, rows);
  assert.match(
    markdown,
    /\| figure \| gateway \| ceiling \| gateway \/ ceiling \| target \| met \|/,
  );
  assert.match(markdown, /\| figure \| gateway \| nginx \| gateway \/ nginx \| target \| met \|/);
});
