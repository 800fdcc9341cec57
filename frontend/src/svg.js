// A chart as SVG: the lines, axes, grid, markers, title and legend that its uPlot draws, as
// vectors for a paper or a slide. Built as DOM nodes and serialised, so every name is escaped.

const NS = "http://www.w3.org/2000/svg";
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const TITLE_HEIGHT = 28;
const LEGEND_ROW = 18;
const MUTED = "#667085";

function node(name, attributes = {}, text = null) {
  const element = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== null) element.textContent = text;
  return element;
}

const fixed = (value) => Math.round(value * 100) / 100;

/**
 * The SVG text of `plot` (a drawn uPlot) under `title`. `legend`: one entry a named line,
 * {label, series index}; `stepped`: draw lines as steps (a learning rate holds until changed);
 * `markers`: [{x, kind}] drawn as dashed vertical lines.
 */
export function chartSVG(plot, { title, legend, stepped = false, markers = [] }) {
  const over = plot.over;
  const box = { left: over.offsetLeft, top: over.offsetTop + TITLE_HEIGHT, width: over.clientWidth, height: over.clientHeight };
  const width = plot.width;
  const legendTop = box.top + box.height + (plot.axes[0].label ? 62 : 36); // below the ticks and the axis name
  const height = legendTop + legend.length * LEGEND_ROW + 4;
  const svg = node("svg", { xmlns: NS, width, height, viewBox: `0 0 ${width} ${height}`, "font-family": FONT, "font-size": 11 });
  svg.append(node("rect", { width, height, fill: "#fff" }));
  svg.append(node("text", { x: 8, y: 19, "font-size": 15, "font-weight": 600, fill: "#1d2330" }, title));
  const clip = node("clipPath", { id: "plot-area" });
  clip.append(node("rect", { x: box.left, y: box.top, width: box.width, height: box.height }));
  const definitions = node("defs");
  definitions.append(clip);
  svg.append(definitions);
  svg.append(axisGroup(plot, box));
  const lines = node("g", { "clip-path": "url(#plot-area)", fill: "none" });
  for (const marker of markers) {
    const left = box.left + plot.valToPos(marker.x, "x");
    lines.append(node("line", {
      class: `marker marker-${marker.kind}`, x1: fixed(left), x2: fixed(left), y1: box.top, y2: box.top + box.height,
      stroke: marker.kind === "resume" ? "rgba(200, 40, 40, 0.6)" : "rgba(90, 90, 90, 0.5)",
      "stroke-dasharray": marker.kind === "resume" ? "4 3" : "1 3",
    }));
  }
  plot.series.forEach((series, index) => {
    if (index === 0 || !series.show) return;
    const path = pathOf(plot, index, box, stepped);
    if (!path) return;
    const attributes = { class: "series", "data-label": series.label, d: path, stroke: strokeOf(plot, index), "stroke-width": series.width ?? 1 };
    if (series.dash) attributes["stroke-dasharray"] = series.dash.join(" ");
    lines.append(node("path", attributes));
  });
  svg.append(lines);
  const key = node("g", { class: "legend" });
  legend.forEach(({ label, index }, row) => {
    const y = legendTop + row * LEGEND_ROW + 6;
    const sample = { x1: 12, x2: 36, y1: y, y2: y, stroke: strokeOf(plot, index), "stroke-width": 2 };
    if (plot.series[index].dash) sample["stroke-dasharray"] = plot.series[index].dash.join(" ");
    key.append(node("line", sample), node("text", { x: 42, y: y + 4, fill: "#1d2330" }, label));
  });
  svg.append(key);
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(svg) + "\n";
}

/** Grid lines, tick labels and axis names, where uPlot put its own. */
function axisGroup(plot, box) {
  const group = node("g", { class: "axes", fill: MUTED });
  const [xAxis, yAxis] = plot.axes;
  (xAxis._splits || []).forEach((value, i) => {
    const x = fixed(box.left + plot.valToPos(value, "x"));
    const text = xAxis._values?.[i];
    if (x < box.left - 0.5 || x > box.left + box.width + 0.5 || text === null || text === undefined) return;
    group.append(node("line", { x1: x, x2: x, y1: box.top, y2: box.top + box.height, stroke: "#e4e7ec" }));
    group.append(node("text", { class: "tick-x", x, y: box.top + box.height + 16, "text-anchor": "middle" }, String(text)));
  });
  (yAxis._splits || []).forEach((value, i) => {
    const y = fixed(box.top + plot.valToPos(value, "y"));
    const text = yAxis._values?.[i];
    if (y < box.top - 0.5 || y > box.top + box.height + 0.5 || text === null || text === undefined) return;
    group.append(node("line", { x1: box.left, x2: box.left + box.width, y1: y, y2: y, stroke: "#e4e7ec" }));
    group.append(node("text", { class: "tick-y", x: box.left - 8, y: y + 4, "text-anchor": "end" }, String(text)));
  });
  group.append(node("rect", { x: box.left, y: box.top, width: box.width, height: box.height, fill: "none", stroke: "#d0d5dd" }));
  if (xAxis.label) {
    group.append(node("text", { class: "axis-label", x: box.left + box.width / 2, y: box.top + box.height + 40,
                                "text-anchor": "middle", "font-weight": 600 }, xAxis.label));
  }
  return group;
}

/** The line of series `index` in SVG path syntax, nulls skipped (the chart spans its gaps). */
function pathOf(plot, index, box, stepped) {
  const xs = plot.data[0], ys = plot.data[index];
  const parts = [];
  let lastY = null;
  for (let i = 0; i < xs.length; i++) {
    if (ys[i] === null || ys[i] === undefined || xs[i] === null) continue;
    const x = fixed(box.left + plot.valToPos(xs[i], "x"));
    const y = fixed(box.top + plot.valToPos(ys[i], "y"));
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (lastY === null) parts.push(`M${x} ${y}`);
    else parts.push(stepped ? `H${x}V${y}` : `L${x} ${y}`);
    lastY = y;
  }
  return parts.join("");
}

function strokeOf(plot, index) {
  const stroke = plot.series[index].stroke;
  return typeof stroke === "function" ? stroke(plot, index) : stroke;
}
