// Child processes of the bench (mock upstream, gateway, baseline): started on free loopback ports,
// output to log files, and always stopped: on success, on error, on Ctrl-C / SIGTERM, and (as a
// last resort, synchronously) when the bench process exits.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** Every child still running, so that nothing outlives the bench. */
const running = new Set();
let stopping = false;

/** A port nothing listens on right now (the OS picks it; a tiny race with other programs). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node <args>` with `env` added to the bench's own environment, stdout and stderr appended
 * to `logPath`. Returns the child, with `startedAt` (performance.now() just before the spawn) and
 * `exited` (a promise of the exit code or signal). An unexpected exit is reported on stderr.
 */
export function startNode(name, args, options = {}) {
  return startProgram(name, process.execPath, args, options);
}

/** Like startNode, for any program (nginx, redis-server): `command` is looked up on PATH. */
export function startProgram(name, command, args, { env = {}, logPath, cwd } = {}) {
  const log = openSync(logPath, 'a');
  const startedAt = performance.now();
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
  });
  closeSync(log); // the child has its own copy of the descriptor
  child.benchName = name;
  child.startedAt = startedAt;
  child.expectedExit = false;
  running.add(child);
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      if (!child.expectedExit && !stopping) {
        process.stderr.write(
          `!! ${name} exited unexpectedly (${signal ?? code}); see ${logPath}\n`,
        );
      }
      resolve(signal ?? code);
    });
  });
  child.once('error', (error) => process.stderr.write(`!! ${name}: ${error.message}\n`));
  return child;
}

/** True once the bench is stopping everything (a signal, or the end): scenarios should give up. */
export const isStopping = () => stopping;

/** Stops one child: `signal`, then SIGKILL if it is still running after `graceMs`. */
export async function stop(child, { signal = 'SIGTERM', graceMs = 5_000 } = {}) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exited;
  child.expectedExit = true;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const result = await child.exited;
  clearTimeout(timer);
  return result;
}

/** Stops every child still running (in parallel). */
export async function stopAll() {
  stopping = true;
  await Promise.all([...running].map((child) => stop(child)));
}

/**
 * Makes sure children die with the bench: on SIGINT/SIGTERM/SIGHUP they are stopped and the bench
 * exits 130; on any exit, those still running get SIGKILL (the only thing possible synchronously).
 */
export function stopChildrenOnExit() {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the servers\n`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/**
 * Polls `url` every `intervalMs` until it answers 200; resolves with the milliseconds since the
 * child was spawned. `fallbackUrl` is polled instead once `url` answers 404 (a missing route).
 */
export async function waitUntilReady(
  child,
  url,
  { fallbackUrl, timeoutMs = 30_000, intervalMs = 5 } = {},
) {
  let target = url;
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${child.benchName} exited before it was ready`);
    }
    try {
      const response = await fetch(target, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - child.startedAt;
      if (response.status === 404 && fallbackUrl && target !== fallbackUrl) target = fallbackUrl;
    } catch {
      // not listening yet
    }
    await sleep(intervalMs);
  }
  throw new Error(`${child.benchName} did not answer 200 on ${target} within ${timeoutMs} ms`);
}

/** Resident set size now (VmRSS) and at its peak so far (VmHWM), in MiB, from /proc. */
export function memoryMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/**
 * CPU time (in clock ticks, 100 per second on Linux) the whole machine spent busy, stolen by the
 * hypervisor, and spent by this process and its reaped children, from /proc. Two snapshots tell
 * how much CPU other programs took during the bench: noise the figures carry.
 */
export function cpuSnapshot() {
  const [user, nice, system, , , irq, softirq, steal = 0] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  // Fields after the command name: utime, stime, cutime, cstime are the 12th to 15th.
  const own = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ').map(Number);
  return {
    at: performance.now(),
    busy: user + nice + system + irq + softirq,
    steal,
    tree: own[11] + own[12] + own[13] + own[14],
  };
}

/**
 * CPU time (user + system, in clock ticks: 100 per second on Linux) `pid` and its live children
 * have used so far, from /proc/<pid>/stat (utime and stime are the 14th and 15th fields): nginx's
 * master and its worker, a server and anything it forked. Undefined once `pid` is gone.
 */
export function processTreeCpuTicks(pid) {
  const ticks = (stat) => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is the 3rd field (state): utime, stime are fields[11], fields[12]; ppid fields[1]
    return { ppid: Number(fields[1]), cpu: Number(fields[11]) + Number(fields[12]) };
  };
  let own;
  try {
    own = ticks(readFileSync(`/proc/${pid}/stat`, 'utf8')).cpu;
  } catch {
    return undefined;
  }
  let children = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || entry === String(pid)) continue;
    try {
      const child = ticks(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (child.ppid === pid) children += child.cpu;
    } catch {
      // gone meanwhile
    }
  }
  return own + children;
}

/** Shares of the machine's CPU capacity between two snapshots (children must have been reaped). */
export function cpuShares(start, end, cores) {
  const capacity = ((end.at - start.at) / 1000) * 100 * cores;
  return {
    bench: (end.tree - start.tree) / capacity,
    others: Math.max(0, end.busy - start.busy - (end.tree - start.tree)) / capacity,
    steal: (end.steal - start.steal) / capacity,
  };
}
