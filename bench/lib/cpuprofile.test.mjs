// node --test bench/ (npm run test:bench): the profile summary attributes time the way it says.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packageOf, summarizeProfile } from './cpuprofile.mjs';

const frame = (functionName, url = '', lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
  columnNumber: 0,
  scriptId: '0',
});
const handler = frame('handler', '/srv/dist/users.js', 9);

/**
 * (root) -> handler -> stringify -> write
 *                   -> stringify -> handler (recursion: counts once in totals)
 * (root) -> (program), (idle), (garbage collector)
 */
const profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 6, 7] },
    { id: 2, callFrame: frame('(program)') },
    { id: 3, callFrame: handler, children: [4] },
    {
      id: 4,
      callFrame: frame('stringify', '/srv/node_modules/fast-json-stringify/index.js', 41),
      children: [5, 8],
    },
    { id: 5, callFrame: frame('write', 'node:internal/stream_base_commons', 120) },
    { id: 6, callFrame: frame('(idle)') },
    { id: 7, callFrame: frame('(garbage collector)') },
    { id: 8, callFrame: handler },
  ],
  startTime: 90,
  // Sample i was taken at 100 + 10 i and lasts until the next one (the last, until endTime).
  samples: [3, 4, 5, 5, 6, 7, 2, 8],
  timeDeltas: [10, 10, 10, 10, 10, 10, 10, 10],
  endTime: 180,
};

const byName = (list, name) => list.find((item) => item.name === name);

test('packages: scoped, nested node_modules, node internals, app, pseudo-frames', () => {
  assert.equal(packageOf(frame('f', '/a/node_modules/@nestjs/core/x.js')), '@nestjs/core');
  assert.equal(packageOf(frame('f', 'file:///a/node_modules/x/node_modules/y/z.js')), 'y');
  assert.equal(packageOf(frame('f', 'node:events')), 'node:internal');
  assert.equal(packageOf(frame('f', '/a/dist/main.js')), 'app');
  assert.equal(packageOf(frame('(garbage collector)')), '(gc)');
  assert.equal(packageOf(frame('(program)')), '(program)');
  assert.equal(packageOf(frame('structuredClone')), '(native)');
});

test('self time goes to the sampled function; idle is left out of the shares', () => {
  const summary = summarizeProfile(profile, { cwd: '/srv' });
  assert.equal(summary.samples, 8);
  assert.equal(summary.busyMs, 0.07); // 7 busy samples of 10 µs
  assert.equal(summary.idleMs, 0.01);
  const write = byName(summary.functions, 'write');
  assert.equal(write.selfShare, 2 / 7);
  assert.equal(write.location, 'node:internal/stream_base_commons:121');
  assert.equal(byName(summary.functions, 'handler').selfShare, 2 / 7); // nodes 3 and 8: one function
  assert.equal(byName(summary.functions, 'handler').location, 'dist/users.js:10');
  assert.equal(byName(summary.functions, 'stringify').location, 'fast-json-stringify/index.js:42');
  assert.equal(summary.functions[0].selfMs, 0.02);
});

test('inclusive time counts a function or package once per sample, even when recursive', () => {
  const summary = summarizeProfile(profile, { cwd: '/srv' });
  assert.equal(byName(summary.functions, 'handler').totalShare, 5 / 7); // samples 3, 4, 5, 5, 8
  assert.equal(byName(summary.functions, 'stringify').totalShare, 4 / 7);
  const app = byName(summary.packages, 'app');
  assert.deepEqual([app.selfShare, app.totalShare], [2 / 7, 5 / 7]);
  const fjs = byName(summary.packages, 'fast-json-stringify');
  assert.deepEqual([fjs.selfShare, fjs.totalShare], [1 / 7, 4 / 7]);
  assert.equal(byName(summary.packages, '(gc)').selfShare, 1 / 7);
  const selfTotal = summary.packages.reduce((sum, pkg) => sum + pkg.selfShare, 0);
  assert.ok(Math.abs(selfTotal - 1) < 1e-9, 'self shares add up to 100% of busy time');
});

test('a window keeps only the samples taken in it', () => {
  const summary = summarizeProfile(profile, { window: { startUs: 120, endUs: 150 } });
  assert.equal(summary.samples, 3); // at 120, 130 (write) and 140 (idle)
  assert.equal(summary.busyMs, 0.02);
  assert.equal(summary.idleMs, 0.01);
  assert.deepEqual(
    summary.functions.map((fn) => fn.name),
    ['write', 'handler', 'stringify'],
  );
});
