// wrk (the Debian package) as the load generator of GET scenarios when it is installed: a C
// program on its own core(s) measures a fast server better than autocannon sharing the bench's
// Node process. Runs `wrk -t1 -cN -dS --latency URL` and parses its text report.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The full path of `command` on PATH, or undefined. */
export function onPath(command, path = process.env.PATH ?? '') {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const TIME_UNITS = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A wrk duration (`812.00us`, `1.23ms`, `1.53s`, `2.00m`) in milliseconds. */
export function parseDuration(text) {
  const match = /^(\d+(?:\.\d+)?)(us|ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`not a wrk duration: ${JSON.stringify(text)}`);
  return Number(match[1]) * TIME_UNITS[match[2]];
}

/**
 * wrk's report (with --latency) as figures: req/s, latency percentiles in ms, requests, answers
 * that were not 2xx or 3xx, socket errors and timeouts. Throws when a figure the bench relies on
 * is missing (wrk could not connect, or printed something else).
 */
export function parseWrk(output) {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const total = /^\s*(\d+) requests in ([\d.]+(?:us|ms|s|m|h)),/m.exec(output);
  if (!rps || !total) {
    const firstLine = output.trim().split('\n')[0] ?? '';
    throw new Error(`wrk gave no figures: ${firstLine.slice(0, 200) || '(no output)'}`);
  }
  const distribution = output.split(/^\s*Latency Distribution\s*$/m)[1];
  if (distribution === undefined) throw new Error('wrk output has no latency distribution');
  const percentiles = {};
  for (const [, p, value] of distribution.matchAll(/^\s*(\d+(?:\.\d+)?)%\s+(\S+)\s*$/gm)) {
    percentiles[Number(p)] = parseDuration(value);
  }
  if (percentiles[50] === undefined || percentiles[99] === undefined) {
    throw new Error('wrk output has no 50% or 99% latency');
  }
  const max = /^\s*Latency\s+\S+\s+\S+\s+(\S+)/m.exec(output);
  const socket =
    /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output) ?? [];
  const [connect, read, write, timeouts] = socket.slice(1).map(Number);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const requests = Number(total[1]);
  return {
    rps: Number(rps[1]),
    p50: percentiles[50],
    p75: percentiles[75],
    p90: percentiles[90],
    p99: percentiles[99],
    max: max ? parseDuration(max[1]) : NaN,
    requests,
    durationS: parseDuration(total[2]) / 1000,
    non2xx,
    errors: (connect ?? 0) + (read ?? 0) + (write ?? 0),
    timeouts: timeouts ?? 0,
  };
}

/** The arguments of one wrk run (pinned to `cpus` with taskset when given). */
export function wrkCommand({ url, connections, durationS, threads = 1, timeoutS = 10, cpus }) {
  const args = [
    `-t${threads}`,
    `-c${connections}`,
    `-d${durationS}s`,
    `--timeout`,
    `${timeoutS}s`,
    '--latency',
    url,
  ];
  return cpus ? ['taskset', ['-c', cpus, 'wrk', ...args]] : ['wrk', args];
}

/**
 * Runs wrk and returns the same shape as load() in load.mjs: rps, p50, p99, max (ms), answers,
 * statuses (wrk only tells 2xx/3xx from the rest), errors, timeouts, durationS, plus `tool`.
 */
export function runWrk(options) {
  const [command, args] = wrkCommand(options);
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: (options.durationS + 30) * 1000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error && !stdout) {
          reject(new Error(`${command} failed: ${(stderr || error.message).trim()}`));
          return;
        }
        try {
          const parsed = parseWrk(stdout);
          resolve(toLoadResult(parsed, stdout));
        } catch (parseError) {
          reject(parseError);
        }
      },
    );
  });
}

/** A parsed wrk report in load()'s shape. */
export function toLoadResult(parsed, raw) {
  const ok = parsed.requests - parsed.non2xx;
  return {
    tool: 'wrk',
    rps: parsed.rps,
    p50: parsed.p50,
    p99: parsed.p99,
    max: parsed.max,
    answers: parsed.requests,
    statuses: {
      ...(ok > 0 ? { '2xx/3xx': ok } : {}),
      ...(parsed.non2xx > 0 ? { other: parsed.non2xx } : {}),
    },
    errors: parsed.errors,
    timeouts: parsed.timeouts,
    durationS: parsed.durationS,
    ...(raw ? { raw } : {}),
  };
}
