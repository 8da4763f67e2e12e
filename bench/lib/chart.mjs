// chart.svg: a self-contained, hand-written SVG (no scripts, fonts or network) of the bench's main
// figures: grouped bars of gateway and baseline for throughput, p99, fan-out, and the decay runs
// with RSS drawn over them.

const COLORS = {
  baseline: '#9aa5b1',
  gateway: '#2f6fdf',
  rssBaseline: '#5c6670',
  rssGateway: '#c2410c',
};
const SERIES = ['baseline', 'gateway'];

const escape = (text) =>
  String(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

/** A round tick step (1, 2 or 5 times a power of ten) and the axis maximum it gives: 4-5 ticks. */
function niceAxis(value) {
  if (!isNumber(value) || value <= 0) return { max: 1, step: 0.25 };
  const rough = value / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough);
  return { max: Math.ceil(value / step - 1e-9) * step, step };
}

function short(v) {
  if (!isNumber(v)) return '—';
  if (v === 0) return '0';
  if (v >= 10_000) return `${Number((v / 1000).toFixed(1))}k`;
  if (v >= 100) return v.toFixed(0);
  return v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** A text element; a `\n` in `content` starts a line below. */
function text(x, y, content, options = {}) {
  const { size = 11, anchor = 'middle', weight = 'normal', fill = '#222' } = options;
  const lines = String(content).split('\n');
  const body = lines
    .map((line, i) =>
      i === 0
        ? escape(line)
        : `<tspan x="${x.toFixed(1)}" dy="${size + 1}">${escape(line)}</tspan>`,
    )
    .join('');
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${size}" text-anchor="${anchor}" font-weight="${weight}" fill="${fill}">${body}</text>`;
}

const hline = (x1, x2, y, style) =>
  `<line x1="${x1}" y1="${y.toFixed(1)}" x2="${x2}" y2="${y.toFixed(1)}" ${style}/>`;

/**
 * One panel of grouped bars. `groups`: [{ label, values: { baseline, gateway } }] (a label may
 * have a `\n`); `guides`: values drawn as dashed horizontal lines (say what they are in `note`,
 * a small line under the title). A missing value is a "—" without a bar.
 */
function barPanel({ x, y, width, height, title, note, unit, groups, guides = [] }) {
  const plot = { left: x + 48, right: x + width - 10, top: y + 34, bottom: y + height - 40 };
  const values = groups.flatMap((group) => SERIES.map((key) => group.values[key])).filter(isNumber);
  const shown = guides.filter(isNumber);
  const { max, step } = niceAxis(Math.max(...values, ...shown, 0));
  const scale = (v) => plot.bottom - (v / max) * (plot.bottom - plot.top);
  const out = [text(x + width / 2, y + 14, title, { size: 13, weight: 'bold' })];
  if (note) out.push(text(x + width / 2, y + 27, note, { size: 10, fill: '#555' }));
  out.push(text(plot.left - 6, plot.top - 10, unit, { size: 10, anchor: 'end', fill: '#555' }));
  for (let tick = 0; tick <= max + step / 2; tick += step) {
    out.push(hline(plot.left, plot.right, scale(tick), 'stroke="#e5e7eb"'));
    out.push(
      text(plot.left - 6, scale(tick) + 4, short(tick), { size: 10, anchor: 'end', fill: '#555' }),
    );
  }
  // Guides first, so that bars and their values are drawn over them.
  for (const guide of shown) {
    out.push(hline(plot.left, plot.right, scale(guide), 'stroke="#b91c1c" stroke-dasharray="5 4"'));
  }
  const slot = (plot.right - plot.left) / Math.max(1, groups.length);
  const barWidth = Math.min(38, (slot * 0.7) / SERIES.length);
  groups.forEach((group, i) => {
    const center = plot.left + slot * (i + 0.5);
    SERIES.forEach((key, j) => {
      const bx = center - barWidth * (SERIES.length / 2) + j * barWidth;
      const v = group.values[key];
      if (!isNumber(v)) {
        out.push(text(bx + barWidth / 2 - 1, plot.bottom - 3, '—', { size: 9 }));
        return;
      }
      const top = scale(Math.min(v, max));
      const tip = escape(`${key}, ${group.label.replace('\n', ' ')}: ${short(v)} ${unit}`);
      out.push(
        `<rect x="${bx.toFixed(1)}" y="${top.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(plot.bottom - top).toFixed(1)}" fill="${COLORS[key]}"><title>${tip}</title></rect>`,
      );
      out.push(text(bx + barWidth / 2 - 1, top - 3, short(v), { size: 9 }));
    });
    out.push(text(center, plot.bottom + 14, group.label, { size: 10 }));
  });
  out.push(hline(plot.left, plot.right, plot.bottom, 'stroke="#333"'));
  return { svg: out.join('\n'), plot };
}

/** RSS after each decay run, as two lines over the req/s bars, on a right-hand MiB axis. */
function rssOverlay(plot, runs) {
  const values = runs.flatMap((run) => SERIES.map((key) => run[key]?.rss)).filter(isNumber);
  if (values.length === 0) return '';
  const { max, step } = niceAxis(Math.max(...values));
  const scale = (v) => plot.bottom - (v / max) * (plot.bottom - plot.top);
  const slot = (plot.right - plot.left) / runs.length;
  const out = [
    text(plot.right + 6, plot.top - 10, 'RSS MiB', { size: 10, anchor: 'start', fill: '#555' }),
  ];
  for (let tick = 0; tick <= max + step / 2; tick += step) {
    out.push(
      text(plot.right + 4, scale(tick) + 4, short(tick), {
        size: 10,
        anchor: 'start',
        fill: '#555',
      }),
    );
  }
  for (const key of SERIES) {
    const color = key === 'gateway' ? COLORS.rssGateway : COLORS.rssBaseline;
    const points = runs
      .map((run, i) => [plot.left + slot * (i + 0.5), run[key]?.rss])
      .filter(([, v]) => isNumber(v));
    const coordinates = points.map(([px, v]) => `${px.toFixed(1)},${scale(v).toFixed(1)}`);
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${coordinates.join(' ')}"/>`,
    );
    for (const [px, v] of points) {
      out.push(
        `<circle cx="${px.toFixed(1)}" cy="${scale(v).toFixed(1)}" r="3" fill="${color}"><title>${escape(`${key} RSS ${v.toFixed(1)} MiB`)}</title></circle>`,
      );
    }
  }
  return out.join('\n');
}

export function renderChart(results, settings) {
  const width = 1120;
  const height = 800;
  const panel = { width: 540, height: 350 };
  const { throughput, openBreaker, fanOut, decay } = results;
  const pick = (entry, field) => ({
    baseline: entry?.baseline?.[field],
    gateway: entry?.gateway?.[field],
  });
  const breaker = (field, sub) => ({
    baseline: openBreaker.baseline?.[sub]?.[field],
    gateway: openBreaker.gateway?.[sub]?.[field],
  });

  const panels = [
    barPanel({
      x: 10,
      y: 60,
      ...panel,
      title: `Throughput, ${settings.connections} connections`,
      note: 'POST /events: the write breaker is open',
      unit: 'req/s',
      groups: [
        { label: 'GET /users', values: pick(throughput.users, 'rps') },
        { label: 'GET /users/:id/events', values: pick(throughput.userEvents, 'rps') },
        { label: 'POST /events', values: breaker('rps', 'saturated') },
      ],
    }).svg,
    barPanel({
      x: 570,
      y: 60,
      ...panel,
      title: 'p99 latency',
      note: 'POST /events: the write breaker is open',
      unit: 'ms',
      groups: [
        { label: 'GET /users', values: pick(throughput.users, 'p99') },
        { label: 'GET /users/\n:id/events', values: pick(throughput.userEvents, 'p99') },
        { label: 'POST /events\nsaturated', values: breaker('p99', 'saturated') },
        {
          label: `POST /events\n${settings.fixedRate} req/s`,
          values: breaker('p99', 'fixedRate'),
        },
      ],
    }).svg,
    barPanel({
      x: 10,
      y: 430,
      ...panel,
      title: `Fan-out, mock event latency ${settings.latencyMs} ms (median)`,
      unit: 'ms',
      groups: settings.fanOutSizes.map((n) => ({
        label: `N = ${n}`,
        values: pick(
          { baseline: fanOut.sizes?.[n]?.baseline, gateway: fanOut.sizes?.[n]?.gateway },
          'median',
        ),
      })),
      note: `dashed: one upstream round trip (${short(fanOut.roundTripMs)} ms) and 1.1x it (the target for N ≤ 50)`,
      guides: [fanOut.roundTripMs, fanOut.roundTripMs * 1.1],
    }).svg,
  ];
  const decayPanel = barPanel({
    x: 570,
    y: 430,
    width: panel.width - 40,
    height: panel.height,
    title: 'Decay: req/s per run (bars), RSS after it (lines)',
    unit: 'req/s',
    groups: (decay.runs ?? []).map((run, i) => ({
      label: `run ${i + 1}`,
      values: pick(run, 'rps'),
    })),
  });
  panels.push(decayPanel.svg, rssOverlay(decayPanel.plot, decay.runs ?? []));

  const legend = [
    ['baseline', COLORS.baseline, 'rect'],
    ['gateway', COLORS.gateway, 'rect'],
    ['baseline RSS', COLORS.rssBaseline, 'line'],
    ['gateway RSS', COLORS.rssGateway, 'line'],
  ]
    .map(([label, color, shape], i) => {
      const lx = 20 + i * 150;
      const mark =
        shape === 'rect'
          ? `<rect x="${lx}" y="38" width="14" height="10" fill="${color}"/>`
          : `<line x1="${lx}" y1="43" x2="${lx + 14}" y2="43" stroke="${color}" stroke-width="2"/>`;
      return `${mark}${text(lx + 20, 47, label, { anchor: 'start' })}`;
    })
    .join('\n');
  const { machine } = results.meta;
  const heading = `event-gateway vs plain Fastify baseline, ${results.meta.startedAt}${settings.quick ? ' (quick)' : ''}; ${machine.cpu} x${machine.cores}, Node ${machine.node}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    text(20, 22, heading, { size: 14, anchor: 'start', weight: 'bold' }),
    legend,
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}
