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
});

test('an unknown name is refused, naming it and the known ones', () => {
  assert.throws(
    () => parseScenarios('startup,cachehit'),
    /unknown scenario\(s\) "cachehit"; known: startup, cache-hit, fan-out, throughput, decay, open-breaker/,
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
