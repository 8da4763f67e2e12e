// Summarises a V8 .cpuprofile (as written by `node --cpu-prof`): functions by self time, and time
// by package, self and inclusive. Used by bench/profile.mjs; kept free of I/O but source maps.
//
// How time is attributed (as Chrome DevTools does): sample i was taken at
// startTime + timeDeltas[0] + ... + timeDeltas[i], and stands for the time until the next sample
// (the last one, until endTime). Its weight goes to the node it names: that node's own function
// ("self") and, once each, every distinct function and package on its stack ("inclusive").
import { readFileSync, existsSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** V8's pseudo-frames: not functions of any script. */
const PSEUDO = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

const toPath = (url) => (url.startsWith('file://') ? fileURLToPath(url) : url);

/**
 * The package a frame belongs to: `node_modules/<pkg>` (scoped packages keep their scope; the
 * innermost node_modules wins), `node:internal` for Node's own modules, `app` for any other
 * script, and `(gc)`, `(program)` (V8 and native code outside JavaScript), `(idle)`, `(native)`
 * (a function without a script) for the rest.
 */
export function packageOf({ functionName, url }) {
  if (!url) {
    if (functionName === '(garbage collector)') return '(gc)';
    if (PSEUDO.has(functionName)) return functionName;
    return '(native)';
  }
  if (url.startsWith('node:')) return 'node:internal';
  const path = toPath(url);
  const at = path.lastIndexOf('/node_modules/');
  if (at === -1) return 'app';
  const [first, second] = path.slice(at + '/node_modules/'.length).split('/');
  return first.startsWith('@') ? `${first}/${second}` : first;
}

/**
 * Maps a generated position (0-based line and column, as in call frames) to the original source
 * when the script has a `.map` beside it (the gateway's dist/*.js do), else returns undefined.
 */
export function createSourceResolver(cwd) {
  const maps = new Map();
  return (url, line, column) => {
    if (!url || url.startsWith('node:') || url.includes('/node_modules/')) return undefined;
    const path = toPath(url);
    if (!maps.has(path)) {
      let map;
      try {
        if (existsSync(`${path}.map`))
          map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
      } catch {
        map = undefined; // a broken map: show the generated position
      }
      maps.set(path, map);
    }
    const entry = maps.get(path)?.findEntry(line, column);
    if (!entry?.originalSource) return undefined;
    const source = toPath(entry.originalSource);
    return { file: relative(cwd, resolve(dirname(path), source)), line: entry.originalLine + 1 };
  };
}

/** `file:line` for a frame, short: relative to cwd, or from the package folder for dependencies. */
function location(callFrame, cwd, resolveSource) {
  const { url, lineNumber, columnNumber } = callFrame;
  if (!url) return '';
  const original = resolveSource?.(url, lineNumber, columnNumber);
  if (original) return `${original.file}:${original.line}`;
  const path = toPath(url);
  const at = path.lastIndexOf('/node_modules/');
  const shown =
    at >= 0
      ? path.slice(at + '/node_modules/'.length)
      : path.startsWith('/')
        ? relative(cwd, path)
        : path;
  return `${shown}:${lineNumber + 1}`;
}

/**
 * @param profile the parsed .cpuprofile
 * @param options.window `{ startUs, endUs }` on the profile's clock (CLOCK_MONOTONIC on Linux, the
 *   clock of process.hrtime): only samples taken in it count. Omitted: the whole profile.
 */
export function summarizeProfile(profile, { window, cwd = process.cwd(), resolveSource } = {}) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);

  const keyOf = (node) => {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    return `${functionName}\u0000${url}\u0000${lineNumber}\u0000${columnNumber}`;
  };
  const frameOf = new Map(profile.nodes.map((node) => [keyOf(node), node.callFrame]));
  const functions = new Map(); // key -> { callFrame, self, total }
  const packages = new Map(); // name -> { self, total }
  const entry = (map, key, init) =>
    map.get(key) ?? map.set(key, { self: 0, total: 0, ...init }).get(key);

  /** Per node: the distinct function keys and packages on its stack (itself included). */
  const stacks = new Map();
  const stackOf = (id) => {
    if (stacks.has(id)) return stacks.get(id);
    const node = nodes.get(id);
    const above = parent.has(id)
      ? stackOf(parent.get(id))
      : { functions: new Set(), packages: new Set() };
    const stack = { functions: new Set(above.functions), packages: new Set(above.packages) };
    if (node.callFrame.functionName !== '(root)') {
      stack.functions.add(keyOf(node));
      stack.packages.add(packageOf(node.callFrame));
    }
    stacks.set(id, stack);
    return stack;
  };

  const { samples, timeDeltas } = profile;
  const timestamps = [];
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i += 1) {
    t += timeDeltas[i] ?? 0;
    timestamps.push(t);
  }
  let busyUs = 0;
  let idleUs = 0;
  let counted = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const at = timestamps[i];
    if (window && (at < window.startUs || at >= window.endUs)) continue;
    const next = i + 1 < samples.length ? timestamps[i + 1] : profile.endTime;
    const weight = Math.max(0, Math.min(next, window?.endUs ?? next) - at);
    const node = nodes.get(samples[i]);
    counted += 1;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += weight;
      continue;
    }
    busyUs += weight;
    entry(functions, keyOf(node), { callFrame: node.callFrame }).self += weight;
    entry(packages, packageOf(node.callFrame)).self += weight;
    const stack = stackOf(node.id);
    for (const key of stack.functions)
      entry(functions, key, { callFrame: frameOf.get(key) }).total += weight;
    for (const name of stack.packages) entry(packages, name).total += weight;
  }
  const share = (us) => (busyUs > 0 ? us / busyUs : 0);
  return {
    samples: counted,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    functions: [...functions.values()]
      .filter(({ callFrame }) => callFrame.functionName !== '(root)')
      .map(({ callFrame, self, total }) => ({
        name: callFrame.functionName || '(anonymous)',
        location: location(callFrame, cwd, resolveSource),
        package: packageOf(callFrame),
        selfMs: self / 1000,
        selfShare: share(self),
        totalShare: share(total),
      }))
      .sort((a, b) => b.selfMs - a.selfMs),
    packages: [...packages.entries()]
      .map(([name, { self, total }]) => ({
        name,
        selfMs: self / 1000,
        selfShare: share(self),
        totalShare: share(total),
      }))
      .sort((a, b) => b.selfShare - a.selfShare),
  };
}

const pct = (share) => `${(share * 100).toFixed(1)}%`.padStart(6);

/** The summary as text: top functions by self time, then packages by self and inclusive time. */
export function renderSummary(summary, { top = 25 } = {}) {
  const out = [];
  const total = summary.busyMs + summary.idleMs;
  out.push(
    `${summary.samples} samples: ${summary.busyMs.toFixed(0)} ms busy, ${summary.idleMs.toFixed(0)} ms idle (${total > 0 ? ((summary.idleMs / total) * 100).toFixed(1) : '0'}% idle). Shares below are of busy time.`,
    '',
    `Top ${top} functions by self time (total: time with the function anywhere on the stack)`,
    `  ${'self'.padStart(6)} ${'total'.padStart(6)}  ${'function'.padEnd(40)} ${'package'.padEnd(24)} location`,
  );
  for (const fn of summary.functions.slice(0, top)) {
    out.push(
      `  ${pct(fn.selfShare)} ${pct(fn.totalShare)}  ${fn.name.slice(0, 40).padEnd(40)} ${fn.package.slice(0, 24).padEnd(24)} ${fn.location}`,
    );
  }
  out.push(
    '',
    'Time by package (self: in its own code; inclusive: with it anywhere on the stack, once per sample)',
    `  ${'self'.padStart(6)} ${'incl.'.padStart(6)}  package`,
  );
  for (const pkg of summary.packages) {
    out.push(`  ${pct(pkg.selfShare)} ${pct(pkg.totalShare)}  ${pkg.name}`);
  }
  return out.join('\n');
}
