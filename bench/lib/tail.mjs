// Figures of the straggler and overload scenarios, kept pure so that they are tested
// (bench/lib/tail.test.mjs): fan-out percentiles against one round trip, the upstream calls a run
// cost beyond one per event, and the summary of an open-loop load run.
import { percentile } from './load.mjs';

/**
 * p50, p99 and the slowest of fan-out times (ms), each also as a multiple of one upstream round
 * trip. Nearest rank: with fewer than 100 samples p99 is the slowest.
 */
export function fanOutFigures(samples, roundTripMs) {
  const sorted = [...samples].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  const max = sorted.at(-1) ?? NaN;
  const ratio = (v) => (roundTripMs > 0 ? v / roundTripMs : NaN);
  return { p50, p99, max, p50Ratio: ratio(p50), p99Ratio: ratio(p99), maxRatio: ratio(max) };
}

/**
 * Upstream event fetches beyond the first one per event, as a share of those first ones: `calls`
 * fetches for `fanOuts` fan-outs of `events` events each (0.1: 10% more calls than events).
 */
export function extraCallShare(calls, fanOuts, events) {
  const first = fanOuts * events;
  return first > 0 ? (calls - first) / first : NaN;
}

/** How many arrivals are due `elapsedMs` into an open-loop run at `ratePerS` (evenly spaced). */
export const arrivalsDue = (elapsedMs, ratePerS) => Math.floor((elapsedMs * ratePerS) / 1000);

const isOk = (status) => typeof status === 'number' && status >= 200 && status < 300;

/**
 * An open-loop run from its answers. `answers`: `{ status, ms, endMs }` per request sent, where
 * `status` is the HTTP status, `'error'` (connection error) or `'timeout'`, `ms` its latency and
 * `endMs` when it finished (from the run's start). `windowMs`: how long arrivals went on.
 * `offered`: arrivals due in the window; `unsent`: of those, the ones not sent because every client
 * was busy. Rates count answers that finished within the window, per second of it; latencies
 * (p50, p99, max of 2xx answers; p99 of every answer) count every answer.
 */
export function summarizeOpenLoad({ answers, windowMs, offered, unsent }) {
  const windowS = windowMs / 1000;
  const inWindow = answers.filter((answer) => answer.endMs <= windowMs);
  const count = (list, predicate) => list.filter((answer) => predicate(answer.status)).length;
  const okLatencies = answers
    .filter((answer) => isOk(answer.status))
    .map((answer) => answer.ms)
    .sort((a, b) => a - b);
  const allLatencies = answers.map((answer) => answer.ms).sort((a, b) => a - b);
  const statuses = {};
  for (const { status } of answers) statuses[status] = (statuses[status] ?? 0) + 1;
  return {
    windowS,
    offered,
    offeredRate: offered / windowS,
    sent: answers.length,
    unsent,
    unsentRate: unsent / windowS,
    statuses,
    ok: okLatencies.length,
    goodput: count(inWindow, isOk) / windowS,
    refusalsRate: count(inWindow, (status) => status === 503) / windowS,
    failuresRate: count(inWindow, (status) => !isOk(status) && status !== 503) / windowS,
    late: answers.length - inWindow.length,
    p50Ok: percentile(okLatencies, 50),
    p99Ok: percentile(okLatencies, 99),
    maxOk: okLatencies.at(-1) ?? NaN,
    p99All: percentile(allLatencies, 99),
    // The same p99, of the requests sent a second or more into the run: what is left once the
    // step has passed (the whole run's p99 is the figure the target judges).
    p99OkAfterFirstSecond: percentile(
      answers
        .filter((answer) => isOk(answer.status) && answer.endMs - answer.ms >= 1000)
        .map((answer) => answer.ms)
        .sort((a, b) => a - b),
      99,
    ),
  };
}
