// node --test bench/ (npm run test:bench): wrk's text report parsed as the bench reads it. The
// samples are real wrk 4.1.0 (Debian) output against a small local server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onPath, parseDuration, parseWrk, toLoadResult, wrkCommand } from './wrk.mjs';
import { loadProblems } from './load.mjs';

const OK = `Running 2s test @ http://127.0.0.1:18777/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    15.62ms   41.13ms 456.05ms   95.16%
    Req/Sec     7.06k     3.34k   10.67k    70.00%
  Latency Distribution
     50%    5.37ms
     75%    8.59ms
     90%   20.22ms
     99%  246.34ms
  14069 requests in 2.00s, 2.16MB read
Requests/sec:   7021.96
Transfer/sec:      1.08MB
`;

const MIXED = `Running 2s test @ http://127.0.0.1:18777/mixed
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.59ms    8.56ms 167.33ms   95.20%
    Req/Sec    11.35k     5.15k   18.08k    45.00%
  Latency Distribution
     50%    3.89ms
     75%    5.04ms
     90%    9.17ms
     99%   31.41ms
  22565 requests in 2.01s, 3.32MB read
  Non-2xx or 3xx responses: 7521
Requests/sec:  11235.14
Transfer/sec:      1.65MB
`;

const TIMEOUTS = `Running 3s test @ http://127.0.0.1:18777/slow
  1 threads and 20 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.00us    0.00us   0.00us    -nan%
    Req/Sec     7.00      7.07    12.00    100.00%
  Latency Distribution
     50%    0.00us
     75%    0.00us
     90%    0.00us
     99%    0.00us
  23 requests in 3.01s, 2.76KB read
  Socket errors: connect 0, read 0, write 0, timeout 23
Requests/sec:      7.64
Transfer/sec:      0.92KB
`;

const SECONDS = `Running 3s test @ http://127.0.0.1:18777/slow
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.52s     2.23ms   1.53s    80.00%
    Req/Sec     6.00      0.00     6.00    100.00%
  Latency Distribution
     50%    1.53s 
     75%    1.53s 
     90%    1.53s 
     99%    1.53s 
  10 requests in 3.01s, 1.20KB read
Requests/sec:      3.33
Transfer/sec:     409.06B
`;

const REFUSED = `unable to connect to 127.0.0.1:18779 Connection refused
`;

test('durations in us, ms, s and m become milliseconds', () => {
  assert.equal(parseDuration('812.00us'), 0.812);
  assert.equal(parseDuration('3.89ms'), 3.89);
  assert.equal(parseDuration('1.53s'), 1530);
  assert.equal(parseDuration('1.53s '), 1530);
  assert.equal(parseDuration('2.00m'), 120_000);
  assert.throws(() => parseDuration('12.3'), /not a wrk duration/);
  assert.throws(() => parseDuration('-nan%'), /not a wrk duration/);
});

test('a clean run: req/s, percentiles from the distribution, requests, no errors', () => {
  const run = parseWrk(OK);
  assert.equal(run.rps, 7021.96);
  assert.equal(run.p50, 5.37);
  assert.equal(run.p75, 8.59);
  assert.equal(run.p90, 20.22);
  assert.equal(run.p99, 246.34);
  assert.equal(run.max, 456.05);
  assert.equal(run.requests, 14069);
  assert.equal(run.durationS, 2);
  assert.equal(run.non2xx, 0);
  assert.equal(run.errors, 0);
  assert.equal(run.timeouts, 0);
  assert.deepEqual(loadProblems(toLoadResult(run)), []);
});

test('answers that are not 2xx or 3xx are counted and reported as a problem', () => {
  const run = parseWrk(MIXED);
  assert.equal(run.requests, 22565);
  assert.equal(run.non2xx, 7521);
  assert.equal(run.p99, 31.41);
  const result = toLoadResult(run);
  assert.deepEqual(result.statuses, { '2xx/3xx': 15044, other: 7521 });
  assert.equal(result.tool, 'wrk');
  assert.match(loadProblems(result).join(), /unexpected statuses other x7521/);
  // POST refusals expect 503: wrk's 2xx/3xx answers are then unexpected too
  assert.match(loadProblems(result, 503).join(), /2xx\/3xx x15044/);
});

test('socket errors and timeouts; microsecond latencies', () => {
  const run = parseWrk(TIMEOUTS);
  assert.equal(run.timeouts, 23);
  assert.equal(run.errors, 0);
  assert.equal(run.p50, 0);
  assert.equal(run.rps, 7.64);
  assert.equal(run.durationS, 3.01);
  assert.match(loadProblems(toLoadResult(run)).join(), /23 timeouts/);
});

test('latencies in seconds (with the trailing spaces wrk prints)', () => {
  const run = parseWrk(SECONDS);
  assert.equal(run.p50, 1530);
  assert.equal(run.p99, 1530);
  assert.equal(run.max, 1530);
  assert.equal(run.requests, 10);
});

test('connect, read and write errors add up', () => {
  const run = parseWrk(
    OK.replace(
      'Requests/sec:',
      '  Socket errors: connect 2, read 3, write 4, timeout 5\nRequests/sec:',
    ),
  );
  assert.equal(run.errors, 9);
  assert.equal(run.timeouts, 5);
});

test('no figures (connection refused, garbage) is an error, not zeros', () => {
  assert.throws(() => parseWrk(REFUSED), /wrk gave no figures: unable to connect/);
  assert.throws(() => parseWrk(''), /wrk gave no figures: \(no output\)/);
  assert.throws(() => parseWrk(OK.replace(/^\s+99%.*$/m, '')), /no 50% or 99% latency/);
  assert.throws(
    () => parseWrk(OK.replace(/Latency Distribution[\s\S]*?(?=\s+\d+ requests)/, '')),
    /no latency distribution/,
  );
});

test('the command: one thread, --latency, pinned with taskset only when asked', () => {
  const url = 'http://127.0.0.1:1/users/1';
  assert.deepEqual(wrkCommand({ url, connections: 50, durationS: 10 }), [
    'wrk',
    ['-t1', '-c50', '-d10s', '--timeout', '10s', '--latency', url],
  ]);
  const [command, args] = wrkCommand({ url, connections: 50, durationS: 10, cpus: '1' });
  assert.equal(command, 'taskset');
  assert.deepEqual(args.slice(0, 3), ['-c', '1', 'wrk']);
});

test('onPath finds executables on PATH only', () => {
  assert.equal(onPath('node', process.env.PATH), onPath('node'));
  assert.ok(onPath('node')?.endsWith('/node'));
  assert.equal(onPath('node', ''), undefined);
  assert.equal(onPath('surely-no-such-program-here'), undefined);
});
