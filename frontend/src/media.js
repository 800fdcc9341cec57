// Media cards: images and sounds with a slider over every stored step, histograms over steps (overlay
// or offset, on a canvas), PR curves and text per step. One card per run and tag; all names
// go in as text.

import { mediaURL, readMediaRecords } from "./api.js";
import { prepareCanvas } from "./canvas.js";

const HISTOGRAM_HEIGHT = 240;

function cardShell(kind, title, subtitle) {
  const element = document.createElement("section"); // not an article: those are the chart cards
  element.className = `card media-card ${kind}-card`;
  const header = document.createElement("header");
  const heading = document.createElement("h2");
  heading.textContent = title;
  const detail = document.createElement("span");
  detail.className = "badge";
  detail.textContent = subtitle;
  header.append(heading, detail);
  element.append(header);
  return element;
}

/** A range input over the indices of `steps`, and a label saying which step is shown. */
function stepSlider(steps, onStep) {
  const box = document.createElement("div");
  box.className = "step-slider";
  const input = document.createElement("input");
  input.type = "range";
  input.min = "0";
  input.max = String(steps.length - 1);
  input.value = String(steps.length - 1); // the latest step first
  input.disabled = steps.length < 2;
  const label = document.createElement("output");
  const show = () => {
    const index = Number(input.value);
    label.textContent = `step ${steps[index]} (${index + 1} of ${steps.length})`;
    onStep(steps[index]);
  };
  input.addEventListener("input", show);
  box.append(input, label);
  return { element: box, show, input };
}

export function imageCard({ run, tag, steps }) {
  const element = cardShell("image", tag, run);
  const image = document.createElement("img");
  image.className = "media-image";
  image.alt = `${tag} of ${run}`;
  const slider = stepSlider(steps, (step) => {
    element.dataset.step = String(step);
    image.src = mediaURL(run, tag, step);
  });
  element.append(image, slider.element);
  slider.show();
  return element;
}

/** A sound (`add_audio`) per step: the browser's own player, and the step slider. */
export function audioCard({ run, tag, steps }) {
  const element = cardShell("audio", tag, run);
  const audio = document.createElement("audio");
  audio.className = "media-audio";
  audio.controls = true;
  audio.preload = "metadata";
  const length = document.createElement("span");
  length.className = "audio-length";
  audio.addEventListener("loadedmetadata", () => {
    length.textContent = Number.isFinite(audio.duration) ? `${+audio.duration.toFixed(2)} s` : "";
    element.dataset.duration = String(audio.duration);
  });
  const slider = stepSlider(steps, (step) => {
    element.dataset.step = String(step);
    length.textContent = "";
    audio.src = mediaURL(run, tag, step);
  });
  const player = document.createElement("div");
  player.className = "audio-player";
  player.append(audio, length);
  element.append(player, slider.element);
  slider.show();
  return element;
}

export function textCard({ run, tag }) {
  const element = cardShell("text", tag, run);
  const text = document.createElement("pre");
  text.className = "media-text";
  element.append(text);
  sliderOverRecords(element, run, tag, (data) => { text.textContent = data.text; });
  return element;
}

/** Reads every record of `tag` and adds a step slider to `element` that shows each with `show`. */
function sliderOverRecords(element, run, tag, show) {
  readMediaRecords(run, tag).then((records) => {
    const slider = stepSlider(records.map((record) => record.step), (step) => {
      element.dataset.step = String(step);
      show(records.find((record) => record.step === step).data);
    });
    element.append(slider.element);
    slider.show();
  });
}

/** Histograms of every step: "overlay" draws them on one axis, later steps darker;
 * "offset" stacks them, each step a ridge a little lower than the one before (TensorBoard's). */
export function histogramCard({ run, tag }, color) {
  const element = cardShell("histogram", tag, run);
  const views = document.createElement("span");
  views.className = "downloads";
  const canvas = document.createElement("canvas");
  canvas.className = "histogram";
  let mode = "offset";
  let records = [];
  for (const name of ["offset", "overlay"]) {
    const choose = document.createElement("button");
    choose.type = "button";
    choose.textContent = name;
    choose.addEventListener("click", () => {
      mode = name;
      element.dataset.mode = mode;
      draw();
    });
    views.append(choose);
  }
  element.querySelector("header").append(views);
  element.append(canvas);
  element.dataset.mode = mode;
  const draw = () => {
    drawHistograms(canvas, records, mode, color);
    element.dataset.drawn = String(records.length);
  };
  readMediaRecords(run, tag).then((found) => {
    records = found.filter((record) => record.kind === "histogram");
    draw();
  });
  return element;
}

function drawHistograms(canvas, records, mode, color) {
  const { context, width } = prepareCanvas(canvas, HISTOGRAM_HEIGHT, 480);
  if (!records.length) return;
  const shapes = records.map((record) => shape(record.data));
  const low = Math.min(...shapes.map((s) => s.low));
  const high = Math.max(...shapes.map((s) => s.high));
  const tallest = Math.max(...shapes.flatMap((s) => s.heights), 1e-12);
  const margin = { left: 8, right: 60, top: 8, bottom: 22 };
  const plotWidth = width - margin.left - margin.right;
  const span = HISTOGRAM_HEIGHT - margin.top - margin.bottom;
  const ridge = mode === "offset" ? span * 0.45 : span; // each ridge's height
  const step = records.length > 1 && mode === "offset" ? (span - ridge) / (records.length - 1) : 0;
  const xOf = (value) => margin.left + (high > low ? ((value - low) / (high - low)) * plotWidth : plotWidth / 2);
  records.forEach((record, index) => {
    const base = margin.top + ridge + step * index;
    const { edges, heights } = shapes[index];
    context.beginPath();
    context.moveTo(xOf(edges[0]), base);
    heights.forEach((height, bin) => {
      const y = base - (height / tallest) * ridge;
      context.lineTo(xOf(edges[bin]), y);
      context.lineTo(xOf(edges[bin + 1]), y);
    });
    context.lineTo(xOf(edges[edges.length - 1]), base);
    const shade = 0.25 + (0.75 * (index + 1)) / records.length; // later steps darker
    context.globalAlpha = mode === "offset" ? 1 : shade * 0.6;
    context.fillStyle = mode === "offset" ? "#fff" : color;
    context.fill();
    context.globalAlpha = shade;
    context.strokeStyle = color;
    context.stroke();
    context.globalAlpha = 1;
    if (mode === "offset" && (index === 0 || index === records.length - 1 || index % Math.ceil(records.length / 6) === 0)) {
      context.fillStyle = "#667085";
      context.font = "11px system-ui, sans-serif";
      context.fillText(`step ${record.step}`, width - margin.right + 6, base);
    }
  });
  context.fillStyle = "#667085";
  context.font = "11px system-ui, sans-serif";
  context.fillText(formatNumber(low), margin.left, HISTOGRAM_HEIGHT - 6);
  const right = formatNumber(high);
  context.fillText(right, margin.left + plotWidth - context.measureText(right).width, HISTOGRAM_HEIGHT - 6);
}

/** A histogram's bin edges and densities: TensorBoard's bucket limits are right edges, the
 * first bin starting at the record's minimum; open-ended edges are clipped to min and max. */
function shape(data) {
  const limits = data.bucket_limits.map((limit) => Math.min(Math.max(limit, data.min), data.max));
  const edges = [data.min, ...limits];
  const heights = data.bucket_counts.map((count, index) => {
    const width = edges[index + 1] - edges[index];
    return width > 0 ? count / width : count;
  });
  return { edges, heights, low: data.min, high: data.max };
}

const formatNumber = (value) => (Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3)
  ? value.toExponential(2) : String(+value.toPrecision(4)));

/** A PR curve per step (precision over recall, TensorBoard's add_pr_curve), with a step slider. */
export function prCurveCard({ run, tag }, color) {
  const element = cardShell("pr", tag, run);
  const canvas = document.createElement("canvas");
  canvas.className = "histogram";
  element.append(canvas);
  sliderOverRecords(element, run, tag, (data) => drawPrCurve(canvas, data, color));
  return element;
}

function drawPrCurve(canvas, data, color) {
  const { context, width } = prepareCanvas(canvas, HISTOGRAM_HEIGHT, 480);
  const box = { left: 40, top: 8, width: width - 56, height: HISTOGRAM_HEIGHT - 36 };
  context.strokeStyle = "#d0d5dd";
  context.strokeRect(box.left, box.top, box.width, box.height);
  context.fillStyle = "#667085";
  context.font = "11px system-ui, sans-serif";
  context.fillText("recall", box.left + box.width / 2 - 14, box.top + box.height + 16);
  context.fillText("precision", box.left + 6, box.top + 14);
  context.fillText("0", box.left - 10, box.top + box.height + 12);
  context.fillText("1", box.left + box.width - 3, box.top + box.height + 14);
  context.fillText("1", box.left - 10, box.top + 10);
  context.strokeStyle = color;
  context.lineWidth = 2;
  context.beginPath();
  data.recall.forEach((recall, index) => {
    const x = box.left + recall * box.width;
    const y = box.top + (1 - data.precision[index]) * box.height;
    if (index === 0) context.moveTo(x, y);
    else context.lineTo(x, y);
  });
  context.stroke();
  context.lineWidth = 1;
}
