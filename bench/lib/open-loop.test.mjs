// node --test bench/ (npm run test:bench): the open-loop load generator against a tiny server on
// loopback (a few dozen requests, well under a second each).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { Agent } from 'node:http';
import { openLoad, preconnect } from './open-loop.mjs';

/** A server on a free loopback port answering with `handle(request, response)`. */
async function serve(handle) {
  const server = createServer(handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

test('sends every arrival at the rate to its own URL and keeps each status', async () => {
  const paths = [];
  const server = await serve((request, response) => {
    paths.push(request.url);
    response.statusCode = Number(request.url.slice(1)) % 2 === 0 ? 200 : 503;
    response.end();
  });
  try {
    const run = await openLoad({
      urlOf: (i) => `${server.base}/${i}`,
      ratePerS: 200,
      durationS: 0.25,
      maxInFlight: 50, // room for all, however late a tick comes on a busy machine
    });
    assert.equal(run.offered, 50);
    assert.equal(run.unsent, 0);
    assert.equal(run.sent, 50);
    assert.deepEqual(run.statuses, { 200: 25, 503: 25 });
    assert.deepEqual(
      [...paths].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))),
      Array.from({ length: 50 }, (_, i) => `/${i}`),
    );
  } finally {
    await server.close();
  }
});

test('does not send an arrival that finds every client busy: it counts it as unsent', async () => {
  const waiting = [];
  const server = await serve((_request, response) => waiting.push(response));
  try {
    const running = openLoad({
      urlOf: () => `${server.base}/slow`,
      ratePerS: 100,
      durationS: 0.1,
      maxInFlight: 2,
    });
    // Answer once the window is over: both clients were busy for the whole of it.
    while (waiting.length < 2) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 150));
    for (const response of waiting) response.end();
    const run = await running;
    assert.equal(run.offered, 10);
    assert.equal(run.sent, 2);
    assert.equal(run.unsent, 8);
    assert.deepEqual(run.statuses, { 200: 2 });
    assert.equal(run.late, 2);
  } finally {
    await server.close();
  }
});

test('gives up on a request after timeoutMs and counts it as a timeout', async () => {
  const server = await serve(() => {}); // never answers
  try {
    const run = await openLoad({
      urlOf: () => `${server.base}/hang`,
      ratePerS: 20,
      durationS: 0.1,
      maxInFlight: 5,
      timeoutMs: 50,
    });
    assert.equal(run.sent, 2);
    assert.deepEqual(run.statuses, { timeout: 2 });
    assert.equal(run.ok, 0);
  } finally {
    await server.close();
  }
});

test('preconnect opens the connections the run then uses, and a given agent is left open', async () => {
  const connections = new Set();
  const server = await serve((request, response) => {
    connections.add(request.socket);
    response.end();
  });
  // As many connections as arrivals: however late a tick comes on a busy machine, none is unsent.
  const agent = new Agent({ keepAlive: true, maxSockets: 20 });
  try {
    const held = await preconnect({ agent, url: `${server.base}/health`, count: 20 });
    assert.equal(held, 20);
    assert.equal(connections.size, 20);
    const run = await openLoad({
      urlOf: (i) => `${server.base}/${i}`,
      ratePerS: 100,
      durationS: 0.2,
      maxInFlight: 20,
      agent,
    });
    assert.equal(run.sent, 20);
    assert.equal(connections.size, 20); // no new connection for the run
    assert.ok(Number.isFinite(run.generatorDelayMs.p99) && run.generatorDelayMs.p99 >= 0);
    assert.ok(run.generatorDelayMs.max >= run.generatorDelayMs.p99);
    const idle = Object.values(agent.freeSockets).reduce((sum, sockets) => sum + sockets.length, 0);
    assert.equal(idle, 20); // still open: the caller closes them
  } finally {
    agent.destroy();
    await server.close();
  }
});
