// Turns the bench's results into rows (figure, gateway, baseline, ratio, target, met), then into the
// terminal table and report.md. Every target is judged here and only here.

import { SCENARIOS } from './settings.mjs';

const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

export const format = {
  ms: (v) => (!isNumber(v) ? '—' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)),
  rps: (v) => (isNumber(v) ? v.toFixed(0) : '—'),
  mib: (v) => (isNumber(v) ? v.toFixed(1) : '—'),
  count: (v) => (isNumber(v) ? String(v) : '—'),
  ratio: (v) => (isNumber(v) ? `${v.toFixed(2)}x` : '—'),
  percent: (v) => (isNumber(v) ? `${(v * 100).toFixed(0)}%` : '—'),
  perAnswer: (v) => (isNumber(v) ? v.toFixed(2) : '—'),
  us: (v) => (isNumber(v) ? v.toFixed(1) : '—'),
  signedMs: (v) => (isNumber(v) ? `${v >= 0 ? '+' : ''}${format.ms(v)}` : '—'),
  signedMib: (v) => (isNumber(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(1)}` : '—'),
};

/** The cache-hit rows against one anchor (`ceiling` or `nginx`): the figures of both, ratios. */
function cacheHitRows(figure, cacheHit, anchor, { targets }) {
  const g = cacheHit.servers?.gateway;
  const a = cacheHit.servers?.[anchor];
  figure('GET /users/1 req/s', g?.rps, a?.rps, format.rps, {
    ...(targets ? { target: `≥ 0.5x ${anchor}`, check: (gv, av) => gv / av >= 0.5 } : {}),
  });
  figure('GET /users/1 p50, ms', g?.p50, a?.p50, format.ms);
  figure('GET /users/1 p99, ms', g?.p99, a?.p99, format.ms, {
    ...(targets ? { target: `≤ 1.5x ${anchor}'s`, check: (gv, av) => gv / av <= 1.5 } : {}),
  });
  figure('CPU per request, µs', g?.cpuUsPerRequest, a?.cpuUsPerRequest, format.us);
  figure('upstream calls during the runs', g?.upstreamCalls, a?.upstreamCalls, format.count, {
    ratio: false,
  });
}

/**
 * The summary rows. A row with `target` has `met`: true, false, or undefined when a figure is
 * missing (its scenario failed).
 */
export function buildRows(results, settings) {
  const rows = [];
  const ran = (name) => (settings.scenarios ?? SCENARIOS).includes(name);
  /** A section; `against`: what the second column holds (baseline unless said otherwise). */
  const section = (title, against = 'baseline') => rows.push({ section: title, against });
  /**
   * One figure for both servers. `check(gateway, baseline)` judges the target; `fmt` formats the
   * values; `ratio: false` for figures whose ratio means nothing (counts, ratios already).
   */
  const figure = (
    label,
    gateway,
    baseline,
    fmt,
    { target, check, ratio = true, gatewayText } = {},
  ) => {
    const both = isNumber(gateway) && isNumber(baseline);
    const row = {
      label,
      gateway: gatewayText ?? fmt(gateway),
      baseline: fmt(baseline),
      ratio: ratio && both && baseline !== 0 ? format.ratio(gateway / baseline) : '',
    };
    if (target) {
      row.target = target;
      const judgeable = isNumber(gateway) && (check.length < 2 || isNumber(baseline));
      row.met = judgeable ? check(gateway, baseline) : undefined;
    }
    rows.push(row);
  };

  const { startup, idleRss, fanOut, throughput, decay, openBreaker, memoryAfterLoad } = results;
  const cacheHit = results.cacheHit ?? {};
  const limit = settings.podLimitMiB;
  const entry = results.meta?.gatewayEntry ?? 'dist/main.js';

  if (ran('startup')) {
    section(
      `Start-up: spawn to first 200 (gateway ${entry} GET /health, baseline GET /), median of ${settings.startups}; idle RSS 1 s after each start, median`,
    );
    figure('start-up, ms', startup.gateway?.median, startup.baseline?.median, format.ms, {
      target: 'gateway ≤ 600 ms',
      check: (g) => g <= 600,
    });
    figure('idle RSS after start-up, MiB', idleRss.gateway, idleRss.baseline, format.mib, {
      target: 'gateway ≤ 100 MiB',
      check: (g) => g <= 100,
    });
    if (startup.noCompileCache) {
      figure(
        'bundle without the compile cache (a new pod): start-up, ms',
        startup.noCompileCache.median,
        startup.baseline?.median,
        format.ms,
        { target: 'gateway ≤ 600 ms', check: (g) => g <= 600 },
      );
    }
    if (startup.unbundled) {
      figure(
        'unbundled dist/main.js: start-up, ms',
        startup.unbundled.median,
        startup.baseline?.median,
        format.ms,
      );
      figure(
        'unbundled dist/main.js: idle RSS, MiB',
        idleRss.unbundled,
        idleRss.baseline,
        format.mib,
      );
    }
    if (startup.withRedis) {
      figure(
        'with REDIS_URL: start-up, ms',
        startup.withRedis.median,
        startup.baseline?.median,
        format.ms,
      );
      figure('with REDIS_URL: idle RSS, MiB', idleRss.withRedis, idleRss.baseline, format.mib);
      figure(
        'REDIS_URL adds: start-up, ms',
        startup.withRedis.median - startup.gateway?.median,
        undefined,
        format.signedMs,
        { ratio: false },
      );
      figure(
        'REDIS_URL adds: idle RSS, MiB',
        idleRss.withRedis - idleRss.gateway,
        undefined,
        format.signedMib,
        { ratio: false },
      );
    }
  }

  if (ran('cache-hit')) {
    const tool = cacheHit.tool ?? 'load tool';
    section(
      `Cache hit: GET /users/1, gateway with READ_CACHE_TTL_MS=5000 against the bare-Fastify ceiling (same body), ${tool} ${settings.connections} connections, ${settings.cacheHitRounds} x ${settings.durationS} s each`,
      'ceiling',
    );
    cacheHitRows(figure, cacheHit, 'ceiling', { targets: true });
    const acc = cacheHit.accounting;
    const logged = acc ? `${acc.logLinesWithIds} of ${acc.logLines}` : undefined;
    figure(
      'answers the load tool counted (+ in flight)',
      acc?.answersCounted,
      undefined,
      (v) => (isNumber(v) ? `${v} (+≤ ${acc.slack})` : '—'),
      { ratio: false },
    );
    figure('log lines with correlation + trace id / all', acc?.logLines, undefined, format.count, {
      ratio: false,
      gatewayText: logged,
      target: 'every answer, once, with ids',
      check: () =>
        acc.logLinesWithIds === acc.logLines &&
        acc.logLines >= acc.answersCounted &&
        acc.logLines <= acc.answersCounted + acc.slack,
    });
    figure('request histogram count (route /users/:id)', acc?.histogram, undefined, format.count, {
      ratio: false,
      target: '= log lines',
      check: (h) => h === acc.logLines,
    });
    section(
      cacheHit.nginxSkipped
        ? `Cache hit against nginx: skipped (${cacheHit.nginxSkipped})`
        : `Cache hit against nginx, one worker caching the mock (proxy_cache_valid 5s, lock, use_stale, access log on; ${cacheHit.nginx?.bytes ?? '—'} B body from the mock, gateway ${cacheHit.body?.bytes ?? '—'} B)`,
      'nginx',
    );
    cacheHitRows(figure, cacheHit, 'nginx', { targets: false });
  }

  if (ran('straggler')) stragglerRows();
  if (ran('overload')) overloadRows();

  const rt = fanOut.roundTripMs;
  if (ran('fan-out'))
    section(
      `Fan-out: GET /users/:id/events, one at a time (mock event latency ${settings.latencyMs} ms; one upstream round trip ${format.ms(rt)} ms)`,
    );
  for (const n of ran('fan-out') ? settings.fanOutSizes : []) {
    const sizeEntry = fanOut.sizes?.[n] ?? {};
    const g = sizeEntry.gateway?.median;
    const b = sizeEntry.baseline?.median;
    const withRoundTrips = (v) =>
      isNumber(v) && isNumber(rt) ? `${format.ms(v)} (${format.ratio(v / rt)} rt)` : format.ms(v);
    figure(`N = ${n}, median ms (x round trip)`, g, b, withRoundTrips, {
      ...(n <= 50
        ? { target: 'gateway ≤ 1.1x round trip', check: (gv) => isNumber(rt) && gv <= 1.1 * rt }
        : {}),
    });
  }

  if (ran('throughput')) {
    section(
      `Throughput: ${settings.connections} connections, ${settings.durationS} s each, mock latency 0`,
    );
  }
  const throughputRoutes = [
    ['users', 'GET /users'],
    ['userEvents', 'GET /users/:id/events (10 events)'],
  ];
  for (const [key, name] of ran('throughput') ? throughputRoutes : []) {
    const g = throughput[key]?.gateway;
    const b = throughput[key]?.baseline;
    const isUsers = key === 'users';
    figure(
      `${name} req/s`,
      g?.rps,
      b?.rps,
      format.rps,
      isUsers ? { target: '≥ 1.0x baseline', check: (gv, bv) => gv / bv >= 1.0 } : {},
    );
    figure(`${name} p50, ms`, g?.p50, b?.p50, format.ms);
    figure(
      `${name} p99, ms`,
      g?.p99,
      b?.p99,
      format.ms,
      isUsers ? { target: '≤ 1.2x baseline', check: (gv, bv) => gv / bv <= 1.2 } : {},
    );
    figure(
      `${name} upstream calls per answer`,
      g?.upstreamCallsPerAnswer,
      b?.upstreamCallsPerAnswer,
      format.perAnswer,
      { ratio: false },
    );
  }

  if (ran('open-breaker')) openBreakerRows();
  if (ran('decay')) decayRows();
  return rows;

  function stragglerRows() {
    const st = results.straggler ?? {};
    const s = settings.straggler;
    const rtMs = st.roundTripMs;
    section(
      `Straggler: GET /users/${s.events === 50 ? '9050' : ':id'}/events (${s.events} events), one at a time, ${s.repeats} per variant; mock: every ${s.every}th event fetch ${s.stragglerLatencyMs} ms, the others ${s.eventLatencyMs} ms; one round trip ${format.ms(rtMs)} ms; the read cache off; hedging off: UPSTREAM_HEDGE_READS=false`,
    );
    const { on, off, baseline } = st.variants ?? {};
    const times = (v) =>
      isNumber(v) && isNumber(rtMs)
        ? `${format.ms(v)} (${format.ratio(v / rtMs)} rt)`
        : format.ms(v);
    for (const [variant, name, targets] of [
      [on, 'hedging on', true],
      [off, 'hedging off', false],
    ]) {
      figure(`${name}: median ms (x rt)`, variant?.p50, baseline?.p50, times, {
        ...(targets
          ? { target: '≤ 3x round trip', check: (g) => isNumber(rtMs) && g <= 3 * rtMs }
          : {}),
      });
      figure(`${name}: slowest ms (x rt)`, variant?.max, baseline?.max, times, {
        ...(targets
          ? { target: '≤ 6x round trip', check: (g) => isNumber(rtMs) && g <= 6 * rtMs }
          : {}),
      });
      figure(`${name}: p99 ms (x rt)`, variant?.p99, baseline?.p99, times);
      figure(
        `${name}: extra event fetches`,
        variant?.extraCalls,
        baseline?.extraCalls,
        format.percent,
        { ratio: false, ...(targets ? { target: '≤ 15%', check: (g) => g <= 0.15 } : {}) },
      );
    }
    figure(
      'hedging on, no stragglers: median ms (x rt)',
      on?.calmMedian,
      baseline?.calmMedian,
      times,
    );
  }

  function overloadRows() {
    const ov = results.overload ?? {};
    const o = settings.overload;
    const rtMs = ov.roundTripMs;
    section(
      `Overload: GET /events/:id (${o.ids} ids in turn), open loop ${o.rate} req/s for ${o.durationS} s from at most ${o.clients} clients at once; mock: reads ${o.eventLatencyMs} ms up to ${o.capacity} in flight (~${format.rps((o.capacity * 1000) / o.eventLatencyMs)}/s), past it +${o.overloadLatencyMsPerCall} ms per call over and ${format.percent(o.overloadErrorRate)} of those 503; unloaded round trip ${format.ms(rtMs)} ms; the read cache off; limit off: UPSTREAM_ADAPTIVE_CONCURRENCY=false`,
    );
    const { on, sized, off, baseline } = ov.variants ?? {};
    const times = (v) =>
      isNumber(v) && isNumber(rtMs)
        ? `${format.ms(v)} (${format.ratio(v / rtMs)} rt)`
        : format.ms(v);
    for (const [variant, name, targets] of [
      [on, 'limit on', true],
      // Run by the bench since 2026-12-06; older results.json have no such variant.
      ...(sized ? [[sized, `limit on, UPSTREAM_MAX_CONCURRENCY=${o.capacity}`, true]] : []),
      [off, 'limit off', false],
    ]) {
      figure(`${name}: goodput, 2xx/s`, variant?.goodput, baseline?.goodput, format.rps, {
        ...(targets ? { target: '≥ baseline', check: (g, b) => g >= b } : {}),
      });
      figure(`${name}: p99 of 2xx, ms (x rt)`, variant?.p99Ok, baseline?.p99Ok, times, {
        ...(targets
          ? { target: '≤ 2x round trip', check: (g) => isNumber(rtMs) && g <= 2 * rtMs }
          : {}),
      });
      figure(
        `${name}: the same, sent after the first second`,
        variant?.p99OkAfterFirstSecond,
        baseline?.p99OkAfterFirstSecond,
        times,
      );
      figure(`${name}: p50 of 2xx, ms`, variant?.p50Ok, baseline?.p50Ok, format.ms);
      figure(
        `${name}: refused (503)/s`,
        variant?.refusalsRate,
        baseline?.refusalsRate,
        format.rps,
        {
          ratio: false,
        },
      );
      figure(
        `${name}: other failures/s`,
        variant?.failuresRate,
        baseline?.failuresRate,
        format.rps,
        { ratio: false },
      );
      figure(
        `${name}: not sent/s (clients busy)`,
        variant?.unsentRate,
        baseline?.unsentRate,
        format.rps,
        { ratio: false },
      );
      figure(
        `${name}: upstream in flight, peak`,
        variant?.upstream?.peakInFlight,
        baseline?.upstream?.peakInFlight,
        format.count,
        { ratio: false },
      );
    }
    figure(
      'unloaded (warm-up): p50 of 2xx, ms',
      on?.unloaded?.p50Ok,
      baseline?.unloaded?.p50Ok,
      format.ms,
    );
  }

  function openBreakerRows() {
    section(
      `Open write breaker: POST /events refused (${settings.connections} connections saturated, then ${settings.fixedRate} req/s over ${settings.fixedRateConnections} connections)`,
    );
    const og = openBreaker.gateway;
    const ob = openBreaker.baseline;
    figure(
      'upstream calls during the phase (any route)',
      og?.upstreamCalls,
      ob?.upstreamCalls,
      format.count,
      {
        ratio: false,
        target: 'gateway = 0',
        check: (g) => g === 0,
      },
    );
    figure('saturated req/s', og?.saturated.rps, ob?.saturated.rps, format.rps, {
      target: '≥ 0.5x baseline',
      check: (g, b) => g / b >= 0.5,
    });
    figure('saturated p99, ms', og?.saturated.p99, ob?.saturated.p99, format.ms);
    figure(
      `p99 at ${settings.fixedRate} req/s, ms`,
      og?.fixedRate.p99,
      ob?.fixedRate.p99,
      format.ms,
      {
        target: 'gateway ≤ 2 ms',
        check: (g) => g <= 2,
      },
    );
  }

  function decayRows() {
    const runs = decay.runs ?? [];
    const first = runs[0];
    const last = runs.at(-1);
    section(
      `Memory and decay: ${runs.length} consecutive runs of ${settings.decayRunS} s, GET /users/:id/events (10 events)`,
    );
    const series = (key, field, fmt) => runs.map((run) => fmt(run[key]?.[field])).join(' ');
    rows.push({
      label: 'req/s per run',
      gateway: series('gateway', 'rps', format.rps),
      baseline: series('baseline', 'rps', format.rps),
      ratio: '',
    });
    rows.push({
      label: 'RSS after each run, MiB',
      gateway: series('gateway', 'rss', (v) => format.mib(v).replace(/\.\d$/, '')),
      baseline: series('baseline', 'rss', (v) => format.mib(v).replace(/\.\d$/, '')),
      ratio: '',
    });
    const decayRatio = (key) =>
      first && last && runs.length > 1 ? last[key]?.rps / first[key]?.rps : undefined;
    figure(
      `req/s run ${runs.length} / run 1`,
      decayRatio('gateway'),
      decayRatio('baseline'),
      (v) => (isNumber(v) ? v.toFixed(3) : '—'),
      {
        ratio: false,
        target: 'gateway ≥ 0.95',
        check: (g) => g >= 0.95,
      },
    );
    const rssAfter = (key) => memoryAfterLoad[key]?.rss;
    figure('RSS after load, MiB', rssAfter('gateway'), rssAfter('baseline'), format.mib, {
      target: '≤ 1.2x baseline',
      check: (g, b) => g / b <= 1.2,
    });
    figure(
      `RSS after load, share of ${limit} MiB pod limit`,
      rssAfter('gateway') / limit,
      rssAfter('baseline') / limit,
      format.percent,
      {
        ratio: false,
        target: 'gateway < 80%',
        check: (g) => g < 0.8,
      },
    );
    figure(
      `peak RSS (VmHWM), share of ${limit} MiB`,
      memoryAfterLoad.gateway?.peak / limit,
      memoryAfterLoad.baseline?.peak / limit,
      format.percent,
      {
        ratio: false,
        target: 'gateway < 80%',
        check: (g) => g < 0.8,
      },
    );
  }
}

const metText = (met) => (met === undefined ? 'n/a' : met ? 'yes' : 'NO');

function targetSummary(rows) {
  const judged = rows.filter((row) => row.target);
  const met = judged.filter((row) => row.met === true).length;
  const unknown = judged.filter((row) => row.met === undefined).length;
  return `Targets met: ${met} of ${judged.length}${unknown ? ` (${unknown} not measured)` : ''}`;
}

/** The summary for the terminal: aligned plain-text columns. */
export function renderTable(results, settings, rows) {
  const header = {
    label: 'figure',
    gateway: 'gateway',
    baseline: 'baseline',
    ratio: 'gw/base',
    target: 'target',
    met: 'met',
  };
  const cells = (row) => [
    row.label,
    row.gateway,
    row.baseline,
    row.ratio ?? '',
    row.target ?? '',
    row.target ? metText(row.met) : '',
  ];
  /** Each section has its own header: its second column is the baseline, the ceiling or nginx. */
  const sectionHeader = (against) => {
    if (against === 'baseline') return Object.values(header);
    const short = against === 'ceiling' ? 'ceil' : against;
    return ['figure', 'gateway', against, `gw/${short}`, 'target', 'met'];
  };
  const table = [
    header,
    ...rows.filter((row) => !row.section),
    ...rows.filter((row) => row.section).map((row) => ({ head: sectionHeader(row.against) })),
  ].map((row) => (row === header ? Object.values(header) : (row.head ?? cells(row))));
  const widths = table[0].map((_, column) => Math.max(...table.map((line) => line[column].length)));
  const line = (values) =>
    values
      .map((value, column) =>
        column === 0 || column >= 4 ? value.padEnd(widths[column]) : value.padStart(widths[column]),
      )
      .join('  ')
      .trimEnd();
  const { machine } = results.meta;
  const out = [
    `event-gateway bench, ${results.meta.startedAt}${settings.quick ? ' (quick)' : ''}: ${machine.cpu} x${machine.cores}, Node ${machine.node}, ${machine.os}`,
    `gateway: ${results.meta.gatewayEntry ?? 'dist/main.js'}; scenarios: ${(settings.scenarios ?? SCENARIOS).join(', ')}${results.cacheHit?.tool ? `; cache-hit load tool: ${results.cacheHit.tool}` : ''}`,
  ];
  for (const row of rows) {
    if (row.section) out.push('', `## ${row.section}`, line(sectionHeader(row.against)));
    else out.push(line(cells(row)));
  }
  out.push('', targetSummary(rows));
  for (const warning of results.warnings) out.push(`warning: ${warning}`);
  for (const error of results.errors) out.push(`ERROR: ${error}`);
  return out.join('\n');
}

const escapeCell = (text) => String(text).replaceAll('|', '\\|');

/** A Markdown table; the first column and those in `left` are aligned left, the others right. */
function markdownTable(head, body, left = []) {
  return [
    `| ${head.map(escapeCell).join(' | ')} |`,
    `| ${head.map((_, i) => (i === 0 || left.includes(i) ? '---' : '---:')).join(' | ')} |`,
    ...body.map((cells) => `| ${cells.map(escapeCell).join(' | ')} |`),
  ].join('\n');
}

/** report.md's details of the cache-hit scenario: tool, bodies, every run, the accounting. */
function cacheHitDetails(cacheHit) {
  if (!cacheHit.servers) return [];
  const out = ['### Cache hit runs (GET /users/1)', ''];
  out.push(
    `- Load tool: ${cacheHit.tool} (${cacheHit.toolWhy}); an unmeasured warm-up of each server first, then the rounds, the order reversed every other round.`,
    `- Bodies: gateway and ceiling ${cacheHit.body?.bytes ?? '—'} B (\`${cacheHit.body?.contentType ?? '?'}\`); ${cacheHit.nginx ? `nginx ${cacheHit.nginx.bytes} B (the mock's own body for /getUserById/1; config \`nginx/nginx.conf\`)` : (cacheHit.nginxSkipped ?? 'no nginx')}`,
    '- CPU per request: utime + stime of the server process and its children (nginx: master and worker) from `/proc/<pid>/stat` over each measured run, divided by the answers of the run (10 ms clock ticks).',
    '',
  );
  const runs = [];
  for (const [key, total] of Object.entries(cacheHit.servers)) {
    for (const run of total.runs ?? []) {
      runs.push([
        String(run.round + 1),
        key,
        ...loadRunCells(run),
        format.us((run.cpuTicks * 10_000) / run.answers),
        String(run.upstreamCalls),
      ]);
    }
  }
  runs.sort((a, b) => Number(a[0]) - Number(b[0]));
  out.push(
    markdownTable(
      ['round', 'server', ...LOAD_RUN_COLUMNS, 'CPU µs/req', 'upstream calls'],
      runs,
      [1, 7],
    ),
    '',
  );
  const acc = cacheHit.accounting;
  if (acc) {
    out.push(
      `- Gateway accounting: ${acc.logLines} request log lines for GET /users/1, ${acc.logLinesWithIds} of them with a correlation id and a trace id; histogram \`${acc.histogramName ?? '(not found)'}\` count for route /users/:id: ${acc.histogram ?? '—'}; the load tool counted ${acc.answersCounted} answers (warm-up included), and up to ${acc.slack} more may have been in flight when runs stopped.`,
      '',
    );
  }
  return out;
}

const VARIANT_NAMES = {
  on: 'gateway (as shipped)',
  off: 'gateway, feature off',
  baseline: 'baseline',
};

/** The settings a variant ran with, beyond the bench's gateway environment. */
const envText = (env) =>
  Object.entries(env ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(' ') || '—';

/** report.md's details of the straggler scenario: every fan-out time, the fetches counted. */
function stragglerDetails(straggler) {
  if (!straggler.variants || Object.keys(straggler.variants).length === 0) return [];
  const out = ['### Straggler fan-outs (ms, one request at a time)', ''];
  out.push(
    markdownTable(
      [
        'variant',
        'settings',
        'route',
        'with stragglers',
        'without',
        'event fetches',
        'stragglers met',
        'extra fetches',
      ],
      Object.entries(straggler.variants).map(([key, v]) => [
        VARIANT_NAMES[key] ?? key,
        envText(v.env),
        v.path,
        v.samples.map(format.ms).join(', '),
        v.calmSamples.map(format.ms).join(', '),
        `${v.eventCalls} for ${straggler.repeats} x ${straggler.events}`,
        String(v.stragglers),
        format.percent(v.extraCalls),
      ]),
      [1, 2, 3, 4],
    ),
    '',
  );
  return out;
}

/** report.md's details of the overload scenario: each variant's run, and what the mock saw. */
function overloadDetails(overload) {
  if (!overload.variants || Object.keys(overload.variants).length === 0) return [];
  const out = ['### Overload runs (open loop)', ''];
  out.push(
    markdownTable(
      [
        'variant',
        'settings',
        'offered/s',
        'goodput 2xx/s',
        '503/s',
        'other failures/s',
        'not sent/s',
        '2xx p50 ms',
        '2xx p99 ms',
        '2xx max ms',
        'all p99 ms',
        'answers',
        'upstream calls',
        'peak in flight',
        'over capacity',
        'overload 503s',
      ],
      Object.entries(overload.variants).map(([key, v]) => [
        VARIANT_NAMES[key] ?? key,
        envText(v.env),
        format.rps(v.offeredRate),
        format.rps(v.goodput),
        format.rps(v.refusalsRate),
        format.rps(v.failuresRate),
        format.rps(v.unsentRate),
        format.ms(v.p50Ok),
        format.ms(v.p99Ok),
        format.ms(v.maxOk),
        format.ms(v.p99All),
        Object.entries(v.statuses)
          .map(([status, n]) => `${status}: ${n}`)
          .join(', '),
        format.count(v.upstream?.calls),
        format.count(v.upstream?.peakInFlight),
        format.count(v.upstream?.overCapacity),
        format.count(v.upstream?.overloadErrors),
      ]),
      [1, 11],
    ),
    '',
  );
  return out;
}

/** report.md: the summary tables, every target, the details behind each figure, and the method. */
export function renderMarkdown(results, settings, rows) {
  const { meta } = results;
  const { machine } = meta;
  const out = [];
  out.push(`# event-gateway benchmark: ${meta.startedAt}`, '');
  out.push(
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB; ${machine.os}; Node ${machine.node}; load average at start ${machine.loadAverage.map((v) => v.toFixed(2)).join(' ')}`,
    `- Gateway: \`${meta.gatewayEntry ?? 'dist/main.js'}\` built from commit ${meta.commit ?? 'unknown'}${meta.uncommittedSourceChanges ? ' **plus uncommitted changes in src/ or mock-api/src/**' : ''}`,
    `- Mode: ${settings.quick ? 'quick' : 'full'}; scenarios: ${(settings.scenarios ?? SCENARIOS).join(', ')}; run took ${format.ms(meta.durationS)} s`,
    `- CPU during the run, share of the machine: the bench and its servers ${format.percent(meta.cpu?.bench)}, other programs ${format.percent(meta.cpu?.others)}, stolen by the hypervisor ${format.percent(meta.cpu?.steal)}`,
    `- Gateway environment: ${Object.entries(meta.gatewayEnv)
      .map(([k, v]) => `\`${k}=${v}\``)
      .join(', ')}`,
    '- Baseline: `bench/baseline-server.mjs` (Fastify, global fetch, Promise.all; no logging, metrics, rate limit or retries)',
    `- NODE_OPTIONS of both servers: ${settings.nodeOptions ? `\`${settings.nodeOptions}\`` : "none (V8 sizes its heap from this machine's memory; see BENCH_NODE_OPTIONS)"}`,
    '',
  );

  out.push('## Summary', '');
  let current;
  const flush = () => {
    if (!current) return;
    out.push(`### ${current.title}`, '');
    out.push(
      markdownTable(
        ['figure', 'gateway', current.against, `gateway / ${current.against}`, 'target', 'met'],
        current.rows.map((row) => [
          row.label,
          row.gateway,
          row.baseline,
          row.ratio ?? '',
          row.target ?? '',
          row.target ? (row.met === undefined ? 'n/a' : row.met ? '✅ yes' : '❌ no') : '',
        ]),
        [4, 5],
      ),
      '',
    );
  };
  for (const row of rows) {
    if (row.section) {
      flush();
      current = { title: row.section, against: row.against ?? 'baseline', rows: [] };
    } else current.rows.push(row);
  }
  flush();
  out.push(`**${targetSummary(rows)}**`, '');
  out.push('![chart](chart.svg)', '');

  out.push('## Details', '');
  out.push('### Start-up samples (ms to the first 200; idle RSS MiB 1 s later)', '');
  const startupNames = {
    gateway: `gateway (${meta.gatewayEntry ?? 'dist/main.js'})`,
    noCompileCache: 'gateway bundle, NODE_DISABLE_COMPILE_CACHE=1',
    unbundled: 'gateway unbundled (dist/main.js)',
    withRedis: `gateway with REDIS_URL (${results.startup.redisUrl ?? 'redis-server'})`,
    baseline: 'baseline',
  };
  out.push(
    markdownTable(
      ['server', 'samples, ms', 'median, ms', 'idle RSS samples, MiB', 'median, MiB'],
      Object.entries(startupNames)
        .filter(([key]) => results.startup[key])
        .map(([key, name]) => [
          name,
          (results.startup[key].samples ?? []).map(format.ms).join(', '),
          format.ms(results.startup[key].median),
          (results.startup[key].rssSamples ?? []).map(format.mib).join(', '),
          format.mib(results.startup[key].rss),
        ]),
    ),
    '',
  );
  for (const note of results.startup.notes ?? []) out.push(`- ${note}`);
  if ((results.startup.notes ?? []).length > 0) out.push('');
  out.push(...cacheHitDetails(results.cacheHit ?? {}));
  out.push(...stragglerDetails(results.straggler ?? {}));
  out.push(...overloadDetails(results.overload ?? {}));
  out.push('### Fan-out samples (ms, one request at a time)', '');
  out.push(
    markdownTable(
      ['N', 'gateway', 'baseline'],
      Object.entries(results.fanOut.sizes ?? {}).map(([n, entry]) => [
        n,
        (entry.gateway?.samples ?? []).map(format.ms).join(', '),
        (entry.baseline?.samples ?? []).map(format.ms).join(', '),
      ]),
    ),
    '',
  );
  out.push('### Load runs', '');
  const loadRow = (name, server, run) =>
    run ? [name, server, ...loadRunCells(run)] : [name, server, '—', '—', '—', '—', '—', '—', '—'];
  const loadRows = [];
  for (const entry of Object.values(results.throughput)) {
    for (const server of ['gateway', 'baseline']) {
      loadRows.push(loadRow(`GET ${entry.path}`, server, entry[server]));
    }
  }
  for (const server of ['gateway', 'baseline']) {
    const entry = results.openBreaker[server];
    loadRows.push(loadRow('POST /events, open breaker, saturated', server, entry?.saturated));
    loadRows.push(
      loadRow(`POST /events, open breaker, ${settings.fixedRate} req/s`, server, entry?.fixedRate),
    );
  }
  out.push(markdownTable(['run', 'server', ...LOAD_RUN_COLUMNS], loadRows, [1, 7]), '');
  out.push('### Memory and decay per run', '');
  out.push(
    markdownTable(
      [
        'run',
        'gateway req/s',
        'gateway p99 ms',
        'gateway RSS MiB',
        'baseline req/s',
        'baseline p99 ms',
        'baseline RSS MiB',
      ],
      (results.decay.runs ?? []).map((run, i) => [
        String(i + 1),
        format.rps(run.gateway?.rps),
        format.ms(run.gateway?.p99),
        format.mib(run.gateway?.rss),
        format.rps(run.baseline?.rps),
        format.ms(run.baseline?.p99),
        format.mib(run.baseline?.rss),
      ]),
    ),
    '',
  );
  out.push('### Open write breaker', '');
  for (const server of ['gateway', 'baseline']) {
    const entry = results.openBreaker[server];
    if (!entry) continue;
    const routes = Object.entries(entry.upstreamCallsByRoute)
      .map(([route, n]) => `\`${route}\` ${n}`)
      .join(', ');
    out.push(
      `- ${server}: opened after ${entry.tripStatuses.length} POST /events (statuses ${entry.tripStatuses.join(', ')}; ${entry.tripUpstreamCalls} upstream calls); during the phase: ${entry.upstreamCalls} upstream calls${routes ? ` (${routes})` : ''}`,
    );
  }
  out.push('');

  if (results.answersCompared && results.answerDifferences.length === 0) {
    out.push(
      'Both servers answered identical bodies on `/users`, `/users/1`, `/users/9010/events`, `/users/4/events`, `/events` and `/events/7` before the load.',
      '',
    );
  }
  if (results.warnings.length + results.errors.length > 0) {
    out.push('## Warnings and errors', '');
    for (const warning of results.warnings) out.push(`- warning: ${warning}`);
    for (const error of results.errors) out.push(`- **error**: ${error}`);
    out.push('');
  }

  out.push(
    '## Method',
    '',
    '- Everything runs on this machine over loopback: the mock upstream, the gateway, the baseline and the load generator (autocannon, in the bench process) share the same cores, so figures are comparable within a run, not across machines.',
    '- Each scenario measures both servers one after the other, in one run; the order alternates from scenario to scenario (and from run to run in the decay scenario). Throughput runs are preceded by an unmeasured warm-up of each server.',
    "- Latency percentiles come from every answer's own time as autocannon reports it (sub-millisecond), not from autocannon's whole-millisecond histogram; the first answer on each connection is left out (autocannon times it from before the TCP connect).",
    `- At a fixed rate, autocannon gives each of the ${settings.fixedRateConnections} connections its share of the rate at the start of every second: requests arrive in bursts of up to ${settings.fixedRateConnections} at once, not evenly spaced.`,
    '- "Upstream calls" are read from the mock\'s `GET /__mock/stats` before and after a phase, once the mock has had no call for 200 ms. They include every route, and the calls of requests still in flight when the load generator stopped (why 10 events make a little over 11 calls per answer).',
    "- RSS is VmRSS (and VmHWM, the peak) from `/proc/<pid>/status` of the server processes themselves. Both servers run with the pod's NODE_OPTIONS unless BENCH_NODE_OPTIONS says otherwise (with it empty, V8 sizes its heap from this machine's memory and RSS grows with it under load).",
    "- The gateway runs with its read cache off (READ_CACHE_TTL_MS=0), so that repeated requests measure its path to the upstream, as the baseline's do; `BENCH_GATEWAY_ENV=READ_CACHE_TTL_MS=5000` measures it as shipped. The cache-hit scenario alone runs its own gateway with READ_CACHE_TTL_MS=5000 (production defaults otherwise) against two anchors: `bench/ceiling-server.mjs` (bare Fastify answering the gateway's own bytes for GET /users/1) and nginx caching the mock (when installed).",
    "- The cache-hit scenario uses wrk (one thread) when it is on PATH, autocannon otherwise; the overload scenario its own open-loop generator (`bench/lib/open-loop.mjs`, node:http in the bench's process); the other scenarios use autocannon. wrk runs as its own process; autocannon shares the bench's Node process.",
    "- Straggler: each variant (the gateway as shipped, the gateway with UPSTREAM_HEDGE_READS=false, the baseline) runs in a process of its own with the read cache fully off (READ_CACHE_TTL_MS=0, READ_CACHE_STALE_IF_ERROR_MS=0); one unmeasured fan-out and three without stragglers first, then the mock's straggler period is set (its count starts there: every 50th event fetch is slow, whoever makes it) and the fan-outs are timed. Extra fetches: the mock's `GET /getEventById` count during the timed fan-outs, beyond one per event. One round trip: the median of ten event fetches made straight to the mock.",
    '- Overload: each variant (the gateway as shipped, the gateway with UPSTREAM_ADAPTIVE_CONCURRENCY=false, the baseline) runs in a process of its own with the read cache fully off and production breaker timings (CIRCUIT_BREAKER_RESET_TIMEOUT_MS=10000, CIRCUIT_BREAKER_MAX_RESET_TIMEOUT_MS=60000). Requests arrive at a fixed rate (open loop, checked every millisecond) whatever the answers; an arrival that finds every client busy is not sent ("not sent"); each request gives up after 10 s. Goodput and the per-second rates count answers that finished within the run\'s window; the latencies are each request\'s own (2xx apart from the rest). The unloaded round trip is the median of ten reads straight to the mock; a warm-up at a quarter of the knee precedes each run.',
    '- The gateway coalesces identical reads in flight (UPSTREAM_COALESCE_READS, on by default); the baseline does not. Under 50 connections on one URL most gateway requests share an upstream call: see "upstream calls per answer". `BENCH_GATEWAY_ENV=UPSTREAM_COALESCE_READS=false` measures the gateway without it.',
    "- Run-to-run noise on a small shared machine is a few percent to tens of percent for short runs; the baseline's own last/first ratio in the decay scenario shows how much of a gateway ratio is noise.",
    '- Start-up: from spawn to the first 200 (gateway `/health`, baseline `/`), polling every 5 ms, each server started cold (a new process) several times; idle RSS read 1 s after each start. Variants: the bundle (the entry every scenario runs; the compile cache its entry turns on is warm after its first start), the bundle with `NODE_DISABLE_COMPILE_CACHE=1` (as a new pod starts), the unbundled `dist/main.js`, and the bundle with REDIS_URL on a redis-server the bench starts (when installed). The tracing exporter is off (no OTEL_EXPORTER_OTLP_ENDPOINT).',
    '',
    '## Files',
    '',
    '- `report.md` (this file), `chart.svg`, `results.json` (every figure), `gateway.log`, `baseline.log`, `mock.log`, `gateway-cache-hit.log`, `ceiling.log`, `startup-*.log`, `straggler-*.log`, `overload-*.log`, `redis.log`, `nginx/` (config, access and error logs) (logs gzipped, `.log.gz`, when over 5 MiB)',
    '',
  );
  return out.join('\n');
}

/** The columns of `loadRunCells`. */
const LOAD_RUN_COLUMNS = [
  'req/s',
  'p50 ms',
  'p99 ms',
  'max ms',
  'answers',
  'statuses',
  'errors + timeouts',
];

/** One load run's cells, in the order of LOAD_RUN_COLUMNS. */
function loadRunCells(run) {
  return [
    format.rps(run.rps),
    format.ms(run.p50),
    format.ms(run.p99),
    format.ms(run.max),
    String(run.answers),
    Object.entries(run.statuses)
      .map(([status, n]) => `${status}: ${n}`)
      .join(', '),
    String(run.errors + run.timeouts),
  ];
}
