// node --test bench/ (npm run test:bench): BENCH_SCENARIOS picks scenarios, and only known ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSettings, parseScenarios, SCENARIOS } from './settings.mjs';

test('unset or empty: every scenario, in run order', () => {
  assert.deepEqual(parseScenarios(undefined), SCENARIOS);
  assert.deepEqual(parseScenarios(''), SCENARIOS);
  assert.deepEqual(parseScenarios('  '), SCENARIOS);
  assert.deepEqual(SCENARIOS, [
    'startup',
    'cache-hit',
    'straggler',
    'overload',
    'fan-out',
    'throughput',
    'decay',
    'open-breaker',
  ]);
});

test('a subset runs in the bench order, whatever the order given; spaces, case, repeats ignored', () => {
  assert.deepEqual(parseScenarios('open-breaker,cache-hit,startup'), [
    'startup',
    'cache-hit',
    'open-breaker',
  ]);
  assert.deepEqual(parseScenarios(' Cache-Hit , cache-hit,'), ['cache-hit']);
  assert.deepEqual(parseScenarios('open-breaker'), ['open-breaker']);
  assert.deepEqual(parseScenarios('overload,straggler'), ['straggler', 'overload']);
});

test('an unknown name is refused, naming it and the known ones', () => {
  assert.throws(
    () => parseScenarios('startup,cachehit'),
    /unknown scenario\(s\) "cachehit"; known: startup, cache-hit, straggler, overload, fan-out, throughput, decay, open-breaker/,
  );
  assert.throws(() => parseScenarios('all'), /unknown scenario/);
  assert.throws(() => parseScenarios(','), /names none/);
});

test('loadSettings reads BENCH_SCENARIOS and BENCH_TOOL', () => {
  const saved = { ...process.env };
  try {
    process.env.BENCH_SCENARIOS = 'cache-hit';
    delete process.env.BENCH_TOOL;
    assert.deepEqual(loadSettings([]).scenarios, ['cache-hit']);
    assert.equal(loadSettings([]).tool, undefined);
    process.env.BENCH_SCENARIOS = 'nope';
    assert.throws(() => loadSettings([]), /BENCH_SCENARIOS: unknown scenario/);
    process.env.BENCH_SCENARIOS = '';
    process.env.BENCH_TOOL = 'ab';
    assert.throws(() => loadSettings([]), /BENCH_TOOL="ab"/);
    process.env.BENCH_TOOL = 'autocannon';
    assert.equal(loadSettings([]).tool, 'autocannon');
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
});

test('the straggler and overload scenarios read their BENCH_* settings, quick or not', () => {
  const saved = { ...process.env };
  try {
    for (const name of ['BENCH_STRAGGLER_REPEATS', 'BENCH_OVERLOAD_RATE', 'BENCH_OVERLOAD_S']) {
      delete process.env[name];
    }
    assert.equal(loadSettings([]).straggler.repeats, 12);
    assert.equal(loadSettings(['--quick']).straggler.repeats, 6);
    assert.equal(loadSettings([]).overload.durationS, 10);
    assert.equal(loadSettings(['--quick']).overload.durationS, 3);
    // Twice the mock's knee by default: 32 in flight / 100 ms = 320 reads/s.
    const { overload } = loadSettings([]);
    assert.equal(overload.rate, (2 * overload.capacity * 1000) / overload.eventLatencyMs);
    process.env.BENCH_STRAGGLER_REPEATS = '20';
    process.env.BENCH_OVERLOAD_RATE = '1000';
    assert.equal(loadSettings([]).straggler.repeats, 20);
    assert.equal(loadSettings([]).overload.rate, 1000);
    process.env.BENCH_OVERLOAD_RATE = '0';
    assert.throws(() => loadSettings([]), /BENCH_OVERLOAD_RATE="0" is not a valid number/);
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
});
