// node --test bench/ (npm run test:bench): the straggler and overload scenarios' figures.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arrivalsDue, extraCallShare, fanOutFigures, summarizeOpenLoad } from './tail.mjs';

test('fan-out figures: p50, p99 and the slowest, each as a multiple of one round trip', () => {
  const samples = [60, 2050, 55, 58, 62, 57, 59, 61, 56, 63];
  const figures = fanOutFigures(samples, 50);
  assert.equal(figures.p50, 59);
  // Fewer than 100 samples: the nearest-rank p99 is the slowest.
  assert.equal(figures.p99, 2050);
  assert.equal(figures.max, 2050);
  assert.equal(figures.p50Ratio, 59 / 50);
  assert.equal(figures.maxRatio, 41);
  assert.ok(Number.isNaN(fanOutFigures(samples, 0).p50Ratio));
  assert.deepEqual(samples.slice(0, 2), [60, 2050], 'the samples are not sorted in place');
});

test('extra upstream calls: beyond one fetch per event, as a share of those', () => {
  assert.equal(extraCallShare(600, 12, 50), 0);
  assert.equal(extraCallShare(690, 12, 50), 0.15);
  assert.ok(extraCallShare(691, 12, 50) > 0.15);
  assert.ok(Number.isNaN(extraCallShare(10, 0, 50)));
});

test('arrivals due: evenly spaced at the rate, whole arrivals only', () => {
  assert.equal(arrivalsDue(0, 1280), 0);
  assert.equal(arrivalsDue(1, 1280), 1);
  assert.equal(arrivalsDue(10, 1280), 12);
  assert.equal(arrivalsDue(1000, 1280), 1280);
  assert.equal(arrivalsDue(999.9, 1000), 999);
});

test('open-loop summary: goodput and refusals per second of the window; 2xx latencies apart', () => {
  const answers = [
    { status: 200, ms: 50, endMs: 100 },
    { status: 200, ms: 60, endMs: 900 },
    { status: 204, ms: 70, endMs: 1500 },
    { status: 200, ms: 400, endMs: 2100 }, // finished after the window: late, not in the rates
    { status: 503, ms: 1, endMs: 300 },
    { status: 503, ms: 2, endMs: 301 },
    { status: 503, ms: 900, endMs: 1999 },
    { status: 502, ms: 800, endMs: 1000 },
    { status: 'timeout', ms: 1000, endMs: 1990 },
    { status: 'error', ms: 3, endMs: 5 },
  ];
  const run = summarizeOpenLoad({ answers, windowMs: 2000, offered: 14, unsent: 4 });
  assert.equal(run.windowS, 2);
  assert.equal(run.offeredRate, 7);
  assert.equal(run.sent, 10);
  assert.equal(run.unsentRate, 2);
  assert.equal(run.ok, 4);
  assert.equal(run.goodput, 3 / 2);
  assert.equal(run.refusalsRate, 3 / 2);
  assert.equal(run.failuresRate, 3 / 2); // 502, timeout, error
  assert.equal(run.late, 1);
  assert.deepEqual(run.statuses, { 200: 3, 204: 1, 503: 3, 502: 1, timeout: 1, error: 1 });
  // 2xx only: 50, 60, 70, 400 ms; the slow 503 and 502 do not count.
  assert.equal(run.p50Ok, 60);
  assert.equal(run.p99Ok, 400);
  assert.equal(run.maxOk, 400);
  // Every answer: the slowest is the timeout (1000 ms).
  assert.equal(run.p99All, 1000);
  // Sent a second or more into the run (finished minus latency): the 204 (sent at 1430 ms) and
  // the late 200 (sent at 1700 ms), not those sent earlier.
  assert.equal(run.p99OkAfterFirstSecond, 400);
  const early = summarizeOpenLoad({
    answers: answers.filter((answer) => answer.ms !== 400),
    windowMs: 2000,
    offered: 13,
    unsent: 4,
  });
  assert.equal(early.p99OkAfterFirstSecond, 70);
});

test('open-loop summary of a run without a 2xx answer', () => {
  const run = summarizeOpenLoad({
    answers: [{ status: 503, ms: 1, endMs: 10 }],
    windowMs: 1000,
    offered: 1,
    unsent: 0,
  });
  assert.equal(run.goodput, 0);
  assert.ok(Number.isNaN(run.p99Ok));
  assert.ok(Number.isNaN(run.maxOk));
});
