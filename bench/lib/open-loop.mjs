// An open-loop load generator for the overload scenario: requests arrive at a fixed rate whatever
// the answers (as independent clients would), unlike autocannon and wrk, whose connections send
// the next request only once the last one is answered, so that a server answering fast refusals
// gets more requests and a slow one fewer. Each request's status and latency are kept, so that
// the latencies of 2xx answers can be told from those of refusals.
import http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { arrivalsDue, summarizeOpenLoad } from './tail.mjs';

/** One GET over `agent`: `{ status, ms, endMs }` (status `'error'` or `'timeout'` without one). */
function send(url, agent, timeoutMs, startedAt) {
  const sentAt = performance.now();
  return new Promise((resolve) => {
    const done = (status) => {
      const now = performance.now();
      resolve({ status, ms: now - sentAt, endMs: now - startedAt });
    };
    const signal = AbortSignal.timeout(timeoutMs);
    const request = http.get(url, { agent, signal }, (response) => {
      response.resume();
      response.once('end', () => done(response.statusCode));
      response.once('error', () => done(signal.aborted ? 'timeout' : 'error'));
    });
    request.once('error', () => done(signal.aborted ? 'timeout' : 'error'));
  });
}

/**
 * Opens `count` keep-alive connections in `agent` (its `maxSockets` at least `count`) with as many
 * GETs of `url` at once, and leaves them open and idle for the run: clients that already hold
 * their connections, as a service's clients do. Returns how many the agent holds.
 */
export async function preconnect({ agent, url, count }) {
  await Promise.all(
    Array.from({ length: count }, () => send(url, agent, 10_000, performance.now())),
  );
  return Object.values(agent.freeSockets).reduce((sum, sockets) => sum + sockets.length, 0);
}

/**
 * GETs `urlOf(i)` for the i-th arrival, `ratePerS` arrivals per second evenly spaced (checked
 * every millisecond), for `durationS` seconds, over keep-alive connections (`agent`'s, left open,
 * or a new agent's, closed after), at most `maxInFlight` requests at once: an arrival that finds
 * them all busy is not sent (counted as `unsent`). Waits for the requests still in flight at the
 * end (each gives up after `timeoutMs`), then returns summarizeOpenLoad's figures, and the
 * generator's own event-loop delay over the run (`generatorDelayMs`: p99 and max), which says
 * whether the latencies measured are the server's or this process's.
 */
export async function openLoad({
  urlOf,
  ratePerS,
  durationS,
  maxInFlight,
  timeoutMs = 10_000,
  agent: given,
}) {
  const agent = given ?? new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const windowMs = durationS * 1000;
  const answers = [];
  let [inFlight, arrivals, unsent] = [0, 0, 0];
  const startedAt = performance.now();
  await new Promise((resolve) => {
    let over = false;
    const tick = () => {
      const elapsedMs = Math.min(performance.now() - startedAt, windowMs);
      for (const due = arrivalsDue(elapsedMs, ratePerS); arrivals < due; arrivals += 1) {
        if (inFlight >= maxInFlight) {
          unsent += 1;
          continue;
        }
        inFlight += 1;
        void send(urlOf(arrivals), agent, timeoutMs, startedAt).then((answer) => {
          answers.push(answer);
          inFlight -= 1;
          if (over && inFlight === 0) resolve();
        });
      }
      if (elapsedMs < windowMs) setTimeout(tick, 1);
      else {
        over = true;
        if (inFlight === 0) resolve();
      }
    };
    tick();
  });
  delay.disable();
  if (!given) agent.destroy();
  return {
    ...summarizeOpenLoad({ answers, windowMs, offered: arrivals, unsent }),
    generatorDelayMs: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
  };
}
