// One chart card: a uPlot chart of one group of tags for the selected runs, with its badge,
// drag-to-zoom (which fetches the range again, so detail appears down to single points),
// double-click to reset, hover values and resume / learning-rate markers.

import uPlot from "uplot";
import { readSeries } from "./api.js";
import { chartSVG } from "./svg.js";

const HEIGHT = 260;
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];
const AXIS_LABELS = { step: "step", epoch: "epoch", wall: "wall time", relative: "hours since start" };
const API_AXIS = { step: "step", epoch: "epoch", wall: "wall_time", relative: "wall_time" };
const drawsWallTime = (axis) => API_AXIS[axis] === "wall_time";
const number = new Intl.NumberFormat("en-US");
// steps are whole: tick at 1, 2, 5, 10, 20, 50, ... never at 0.5
const STEP_INCRS = Array.from({ length: 40 }, (_, i) => [1, 2, 5][i % 3] * 10 ** Math.floor(i / 3));

const splitOf = (tag) => tag.split("/")[0];
const metricOf = (tag) => tag.slice(tag.indexOf("/") + 1);

export class ChartCard {
  /** `zoom`: the range to open at (from the URL); `onZoom(range)` when the user zooms or resets. */
  constructor(container, group, { zoom = null, onZoom = () => {} } = {}) {
    this.group = group;
    this.onZoom = onZoom;
    this.element = document.createElement("article");
    this.element.className = "card";
    this.element.dataset.group = group.key;
    const header = document.createElement("header");
    const title = document.createElement("h2");
    title.textContent = group.title;
    this.badge = document.createElement("span");
    this.badge.className = "badge";
    this.badge.hidden = true;
    this.plotBox = document.createElement("div");
    this.plotBox.className = "plot";
    const downloads = document.createElement("span");
    downloads.className = "downloads";
    downloads.append(button("CSV", "the points shown, as CSV", () => this.downloadCSV()),
                     button("PNG", "the chart, as PNG", () => this.downloadPNG()),
                     button("SVG", "the chart, as SVG", () => this.downloadSVG()));
    header.append(title, this.badge, downloads);
    this.element.append(header, this.plotBox);
    container.append(this.element);
    this.zoom = zoom; // [from, to] on the drawn axis, or null for everything
    this.element.classList.toggle("zoomed", zoom !== null);
    this.series = []; // what the server sent, one entry per (run, tag)
    this.starts = new Map(); // run -> first wall time, for the relative-time axis
    this.plot = null;
    this.loading = 0;
  }

  /** Fetch and draw for `view` = {runs, colors, tags, smoothing, weight, window, x, logY, events}. */
  async load(view) {
    this.view = view;
    const ticket = ++this.loading;
    const axis = this.axisFor(view);
    const found = await this.fetch(view, axis, this.width());
    if (ticket !== this.loading) return; // a newer load superseded this one
    if (axis !== "step" && !this.zoom && found.some((s) => s.step.length && s[API_AXIS[axis]].every((v) => v === null))) {
      this.fallback = axis; // like `lossboard plot`: an axis some series lack falls back to step
      return this.load(view);
    }
    if (!this.zoom) {
      for (const s of found) {
        const first = s.wall_time.find((v) => v !== null);
        if (first !== undefined && !(this.starts.get(s.run) <= first)) this.starts.set(s.run, first);
      }
    }
    this.series = found;
    this.axis = axis;
    this.draw();
  }

  /** The series `view` shows against `axis`; `times` overrides which time columns are read. */
  async fetch(view, axis, width, times) {
    if (axis === "relative" && this.zoom) {
      // each run started at its own time: the same hours are different wall times per run
      const parts = await Promise.all(view.runs.map((run) => readSeries({
        ...this.request(view, [run], width, times), x: "wall_time",
        range: this.zoom.map((hours) => (this.starts.get(run) ?? 0) + hours * 3600),
      })));
      return parts.flat();
    }
    return readSeries({ ...this.request(view, view.runs, width, times), x: API_AXIS[axis], range: this.zoom });
  }

  request(view, runs, width, times) {
    // a learning rate is a schedule, not a noisy measurement: smoothing would only misstate it
    const smoothing = this.group.key === "lr" ? "none" : view.smoothing;
    // wall times only where they are drawn: against steps or epochs the tooltip shows the epoch
    times ??= drawsWallTime(this.axisFor(view)) ? "all" : "epoch";
    const ends = this.group.key === "lr"; // a rate holds until the run ends: the chart needs to know where
    return { runs, tags: this.group.tags, width, smoothing, weight: view.weight, window: view.window, halfLife: view.halfLife, times, ends };
  }

  axisFor(view) {
    if (this.fallback === view.x) return "step";
    return view.x;
  }

  width() {
    return Math.max(200, this.plotBox.clientWidth || 480);
  }

  /** Append points the live feed announced for `run`: only steps after the last one held. */
  async extend(run) {
    if (!this.view || this.zoom) return; // a zoom shows a fixed range; its reset shows the new points
    const mine = this.series.filter((s) => s.run === run);
    if (!mine.length) return this.load(this.view); // a tag new to this card
    const ticket = this.loading;
    const width = this.width();
    const fresh = await Promise.all(mine.map((s) => {
      const last = s.step.length ? s.step[s.step.length - 1] : -1;
      return readSeries({ ...this.request(this.view, [run], width), tags: [s.tag], x: "step", range: [last + 1, Number.MAX_SAFE_INTEGER] });
    }));
    if (ticket !== this.loading) return;
    let grown = false;
    mine.forEach((s, index) => {
      const add = fresh[index].find((f) => f.tag === s.tag && f.source_tag === s.source_tag);
      if (add && add.run_end && !sameEnd(add.run_end, s.run_end)) {
        s.run_end = add.run_end; // the run went on: a held rate is drawn to its new end
        grown = true;
      }
      if (!add || !add.step.length) return;
      for (const column of ["step", "epoch", "wall_time", "value"]) s[column] = s[column].concat(add[column]);
      if (s.smoothed && add.smoothed) s.smoothed = s.smoothed.concat(add.smoothed);
      s.total_points += add.total_points;
      grown = true;
    });
    if (!grown) return;
    if (mine.some((s) => s.step.length > 8 * width)) return this.load(this.view); // downsample afresh
    this.draw();
  }

  xsOf(s) {
    if (this.axis === "relative") {
      const start = this.starts.get(s.run) ?? 0;
      return s.wall_time.map((t) => (t === null ? null : (t - start) / 3600));
    }
    return s[API_AXIS[this.axis]];
  }

  /** Where `s`'s run ends on this chart's axis, when the server said (`run_end`), else null. */
  endOf(s) {
    const end = s.run_end;
    if (!end) return null;
    if (this.axis === "relative") return end.wall_time === null ? null : (end.wall_time - (this.starts.get(s.run) ?? 0)) / 3600;
    return end[API_AXIS[this.axis]] ?? null;
  }

  draw() {
    const view = this.view;
    const several = view.runs.length > 1;
    const tables = [];
    const options = [{ label: AXIS_LABELS[this.axis], value: (u, v) => (v === null || v === undefined ? "--" : formatX(v, this.axis)) }];
    const owners = [];
    // one run: a colour per metric, so train and validation of one metric match (and differ by dash)
    const metrics = [...new Set(this.group.tags.map(metricOf))];
    // a learning rate holds until it is changed: draw steps, not ramps between the changes
    const paths = this.group.key === "lr" ? uPlot.paths.stepped({ align: 1 }) : undefined;
    // two series of one run under one label (Loss/train and train_loss) are told apart by their printed names
    const twins = new Map();
    for (const s of this.series) twins.set(`${s.run}\u0000${s.tag}`, (twins.get(`${s.run}\u0000${s.tag}`) || []).concat(s.source_tag));
    for (const s of this.series) {
      const twin = twins.get(`${s.run}\u0000${s.tag}`);
      const xs = this.xsOf(s);
      const order = [...xs.keys()].filter((i) => xs[i] !== null).sort((a, b) => xs[a] - xs[b]);
      const x = order.map((i) => xs[i]);
      const end = this.endOf(s);
      const held = end !== null && x.length > 0 && end > x[x.length - 1] && s.value[order[order.length - 1]] !== null;
      if (held) x.push(end); // the last value again where the run ends: it holds until then
      const clean = (column) => {
        const kept = order.map((i) => (column[i] === null || (view.logY && column[i] <= 0) ? null : column[i]));
        return held ? kept.concat(kept[kept.length - 1]) : kept;
      };
      const color = several ? view.colors[s.run]
        : PALETTE[(metrics.indexOf(metricOf(s.tag)) + twin.indexOf(s.source_tag) * 3) % PALETTE.length];
      const dash = splitOf(s.tag) === "val" ? [6, 4] : splitOf(s.tag) === "test" ? [2, 3] : undefined;
      const batch = splitOf(s.tag) === "train_batch";
      const name = twin.length > 1 ? `${s.tag} (${s.source_tag})` : s.tag;
      const label = several ? `${s.run}: ${name}` : name;
      const holder = { s, order, x };
      if (s.smoothed) {
        tables.push([x, clean(s.value), clean(s.smoothed)]);
        options.push({ label: `${label} (raw)`, raw: true, stroke: fade(color, 0.25), width: 1, dash, paths, spanGaps: true, points: { show: false }, value: valueAt(holder, s.value) });
        options.push({ label, stroke: color, width: batch ? 1 : 1.75, dash, paths, spanGaps: true, points: { show: false }, value: valueAt(holder, s.smoothed) });
        owners.push(holder, holder);
      } else {
        tables.push([x, clean(s.value)]);
        options.push({ label, stroke: batch ? fade(color, 0.55) : color, width: batch ? 1 : 1.75, dash, paths, spanGaps: true, points: { show: false }, value: valueAt(holder, s.value) });
        owners.push(holder);
      }
    }
    this.showBadge();
    // how far right the lines reach: every chart of a run ends where the run does
    this.element.dataset.xEnd = String(Math.max(...tables.map(([x]) => (x.length ? x[x.length - 1] : -Infinity))));
    const data = tables.length ? uPlot.join(tables) : [[]];
    if (this.plot) this.plot.destroy();
    this.plotBox.replaceChildren();
    const card = this;
    this.plot = new uPlot({
      width: this.width(),
      height: HEIGHT,
      series: options,
      scales: { x: { time: this.axis === "wall" }, y: { distr: view.logY ? 3 : 1, ...yRange(tables, view) } },
      axes: [{ label: AXIS_LABELS[this.axis], ...(this.axis === "step" ? { incrs: STEP_INCRS } : {}) }, {}],
      cursor: { drag: { x: true, y: false, setScale: false } },
      legend: { live: true },
      hooks: {
        setSelect: [(u) => {
          if (u.select.width < 3) return;
          const range = [u.posToVal(u.select.left, "x"), u.posToVal(u.select.left + u.select.width, "x")];
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          card.zoomTo(range);
        }],
        draw: [(u) => drawMarkers(u, card.markers())],
      },
    }, data, this.plotBox);
    const rows = this.plot.root.querySelectorAll(".u-legend .u-series");
    options.forEach((option, index) => {
      if (option.raw && rows[index]) rows[index].hidden = true; // the faint raw line: named once, by its smoothed twin
    });
    if (this.zoom) this.plot.setScale("x", { min: this.zoom[0], max: this.zoom[1] });
    this.plot.over.addEventListener("dblclick", () => this.zoomTo(null));
  }

  zoomTo(range, { reload = true } = {}) {
    this.zoom = range;
    this.onZoom(range);
    this.element.classList.toggle("zoomed", range !== null);
    return reload ? this.load(this.view) : undefined;
  }

  showBadge() {
    const shown = this.series.reduce((sum, s) => sum + s.step.length, 0);
    const total = this.series.reduce((sum, s) => sum + s.total_points, 0);
    this.badge.hidden = shown >= total;
    const about = this.series.some((s) => s.estimated) ? "about " : ""; // a report's zoom: counted from its sample
    this.badge.textContent = `${number.format(shown)} of ${about}${number.format(total)} points`;
    this.element.dataset.shown = String(shown);
    this.element.dataset.total = String(total);
  }

  /** Resume and learning-rate-change markers on this chart's axis (step or epoch only). */
  markers() {
    if (!["step", "epoch"].includes(this.axis)) return [];
    const found = [];
    for (const run of this.view.runs) {
      for (const event of this.view.events[run] || []) {
        if (event.kind !== "resume" && event.kind !== "lr_change") continue;
        const x = this.axis === "epoch" ? event.epoch : event.step;
        if (x !== null && x !== undefined) found.push({ x, kind: event.kind });
      }
    }
    return found;
  }

  /** The points shown, with every column: a chart against steps or epochs read no wall times. */
  async downloadCSV() {
    if (!this.view) return;
    const shown = drawsWallTime(this.axis) ? this.series : await this.fetch(this.view, this.axis, this.width(), "all");
    const rows = ["run,tag,source_tag,step,epoch,wall_time,value,smoothed"];
    const cell = (v) => (v === null || v === undefined ? "" : typeof v === "number" ? String(v) : csvText(v));
    for (const s of shown) {
      s.step.forEach((step, i) => {
        rows.push([s.run, s.tag, s.source_tag, step, s.epoch[i], s.wall_time[i], s.value[i], s.smoothed ? s.smoothed[i] : null]
          .map(cell).join(","));
      });
    }
    save(new Blob([rows.join("\n") + "\n"], { type: "text/csv" }), `${this.group.key}.csv`);
  }

  downloadPNG() {
    if (this.plot) this.plot.ctx.canvas.toBlob((blob) => save(blob, `${this.group.key}.png`));
  }

  downloadSVG() {
    if (!this.plot) return;
    const legend = this.plot.series.map((series, index) => ({ label: series.label, index, raw: series.raw }))
      .filter((entry) => entry.index > 0 && !entry.raw);
    const text = chartSVG(this.plot, { title: this.group.title, legend, stepped: this.group.key === "lr", markers: this.markers() });
    save(new Blob([text], { type: "image/svg+xml" }), `${this.group.key}.svg`);
  }

  resize() {
    if (this.plot) this.plot.setSize({ width: this.width(), height: HEIGHT });
  }

  destroy() {
    this.loading++;
    if (this.plot) this.plot.destroy();
    this.element.remove();
  }
}

/** Hover text for one series: its own nearest point at or before the cursor, exact. */
/** Whether two `run_end`s name the same end: a later series at the last step can move its time. */
function sameEnd(a, b) {
  return b !== undefined && a.step === b.step && a.epoch === b.epoch && a.wall_time === b.wall_time;
}

function valueAt(holder, column) {
  return (u, _v, _sidx, idx) => {
    if (idx === null || idx === undefined) return "--";
    const x = u.data[0][idx];
    const xs = holder.x;
    let lo = 0, hi = xs.length - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] <= x) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (at < 0) return "--";
    const i = holder.order[Math.min(at, holder.order.length - 1)]; // past the last point: the value held there
    const value = column[i];
    const s = holder.s;
    const epoch = s.epoch[i] === null ? "" : ` · epoch ${+s.epoch[i].toFixed(3)}`;
    return `${value === null ? "NaN" : +value.toPrecision(6)} @ step ${number.format(s.step[i])}${epoch}`;
  };
}

/** With "ignore outliers": a y range from the 1st to the 99th percentile of the values shown. */
function yRange(tables, view) {
  if (!view.clipY) return {};
  const values = tables.flatMap((table) => table.slice(1).flatMap((ys) => ys.filter((y) => y !== null && Number.isFinite(y))));
  if (values.length < 10) return {};
  values.sort((a, b) => a - b);
  const low = values[Math.floor(values.length * 0.01)], high = values[Math.ceil(values.length * 0.99) - 1];
  const pad = (high - low) * 0.05 || Math.abs(high) * 0.05 || 1;
  return { range: () => [view.logY ? Math.max(low - pad, low / 2) : low - pad, high + pad] };
}

function button(text, title, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  element.title = title;
  element.addEventListener("click", onClick);
  return element;
}

function csvText(text) {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function save(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function drawMarkers(u, markers) {
  const ctx = u.ctx;
  ctx.save();
  ctx.lineWidth = 1;
  for (const marker of markers) {
    const left = u.valToPos(marker.x, "x", true);
    if (left < u.bbox.left || left > u.bbox.left + u.bbox.width) continue;
    ctx.strokeStyle = marker.kind === "resume" ? "rgba(200, 40, 40, 0.6)" : "rgba(90, 90, 90, 0.5)";
    ctx.setLineDash(marker.kind === "resume" ? [4, 3] : [1, 3]);
    ctx.beginPath();
    ctx.moveTo(left, u.bbox.top);
    ctx.lineTo(left, u.bbox.top + u.bbox.height);
    ctx.stroke();
  }
  ctx.restore();
}

function formatX(value, axis) {
  if (axis === "wall") return new Date(value * 1000).toLocaleString();
  if (axis === "relative") return `${+value.toFixed(3)} h`;
  return number.format(+value.toFixed(3));
}

function fade(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
