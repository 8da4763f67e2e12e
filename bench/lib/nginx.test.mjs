// node --test bench/ (npm run test:bench): the nginx anchor's generated config keeps every path
// inside the run's folder and has the caching directives of the reference measurement.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { nginxConfig, prepareNginx } from './nginx.mjs';

const dir = '/tmp/bench run/nginx';
const conf = nginxConfig({ dir, port: 18080, upstreamPort: 19090 });
const directive = (name) =>
  [...conf.matchAll(new RegExp(`^[ \\t]*${name}[ \\t]+([^;{}\\n]*);`, 'gm'))]
    .map((match) => match[1])
    // the /health location's own `access_log off` is not the access log
    .filter((value) => name !== 'access_log' || value !== 'off');

test('one worker in the foreground, listening on loopback only', () => {
  assert.deepEqual(directive('daemon'), ['off']);
  assert.deepEqual(directive('worker_processes'), ['1']);
  assert.deepEqual(directive('listen'), ['127.0.0.1:18080']);
  assert.deepEqual(directive('server'), ['127.0.0.1:19090']);
});

test('every file nginx writes is inside the folder (quoted: the folder may have spaces)', () => {
  const pathDirectives = [
    'pid',
    'error_log',
    'access_log',
    'client_body_temp_path',
    'proxy_temp_path',
    'fastcgi_temp_path',
    'uwsgi_temp_path',
    'scgi_temp_path',
    'proxy_cache_path',
  ];
  for (const name of pathDirectives) {
    const values = directive(name);
    assert.equal(values.length, 1, `${name} appears once`);
    assert.ok(values[0].startsWith(`"${dir}/`), `${name} ${values[0]} is inside ${dir}`);
  }
  // and no other absolute path anywhere
  for (const match of conf.matchAll(/(?<![\w":/])\/[\w/.-]+/g)) {
    assert.ok(
      match[0].startsWith('/users/') ||
        match[0].startsWith('/getUserById/') ||
        match[0] === '/health',
      `unexpected path ${match[0]}`,
    );
  }
});

test('caching as in the reference: 5 s for 200s, lock, stale while updating, access log on', () => {
  assert.deepEqual(directive('proxy_cache'), ['bench']);
  assert.deepEqual(directive('proxy_cache_valid'), ['200 5s']);
  assert.deepEqual(directive('proxy_cache_lock'), ['on']);
  assert.deepEqual(directive('proxy_cache_use_stale'), ['updating error timeout']);
  assert.match(directive('proxy_cache_path')[0], /keys_zone=bench:/);
  assert.match(conf, /^\s*access_log "[^"]+access\.log";/m);
  assert.deepEqual(directive('proxy_pass'), ['http://mock/getUserById/']);
  assert.match(conf, /location \/users\/ \{/);
});

test('validS and the user line for root', () => {
  const other = nginxConfig({ dir, port: 1, upstreamPort: 2, validS: 7, runAsRoot: true });
  assert.match(other, /^\s*proxy_cache_valid 200 7s;/m);
  assert.match(other, /^user root;$/m);
  assert.doesNotMatch(conf, /^user /m);
});

test('a relative folder is refused', () => {
  assert.throws(
    () => nginxConfig({ dir: 'bench-results/x', port: 1, upstreamPort: 2 }),
    /absolute/,
  );
});

test('prepareNginx writes the config and returns -p/-e/-c inside the folder', () => {
  const base = mkdtempSync(join(tmpdir(), 'bench-nginx-'));
  try {
    const target = join(base, 'nginx');
    const { conf: file, args } = prepareNginx({ dir: target, port: 3, upstreamPort: 4 });
    assert.equal(file, join(target, 'nginx.conf'));
    assert.deepEqual(args, ['-p', `${target}/`, '-e', join(target, 'error.log'), '-c', file]);
    assert.match(readFileSync(file, 'utf8'), /listen 127\.0\.0\.1:3;/);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
