// Parallel coordinates of the hparams table: one vertical axis per hyper-parameter and metric,
// one line per run in its colour, the selected runs drawn bold. Numbers are placed by value,
// anything else (an optimizer's name) at evenly spaced places in natural order.

import { prepareCanvas } from "./canvas.js";
import { naturalCompare } from "./runlist.js";

const HEIGHT = 260;
const MARGIN = { top: 36, bottom: 22, side: 50 };

/** Draws `answer` (what /api/hparams said) on `canvas`; returns how many runs have a line. */
export function drawParallel(canvas, answer, selected, colors) {
  const { context, width } = prepareCanvas(canvas, HEIGHT, 800);
  const columns = [
    ...answer.hparams.map((name) => ({ label: name, get: (row) => row.hparams[name] })),
    ...answer.metrics.map((name) => ({ label: name, get: (row) => row.metrics[name] })),
  ].filter((column) => answer.runs.some((row) => present(column.get(row))));
  if (columns.length < 2) return 0;
  const gap = (width - 2 * MARGIN.side) / (columns.length - 1);
  const span = HEIGHT - MARGIN.top - MARGIN.bottom;
  const scales = columns.map((column) => scale(answer.runs.map(column.get).filter(present)));
  context.font = "11px system-ui, sans-serif";
  context.textAlign = "center";
  columns.forEach((column, index) => {
    const x = MARGIN.side + gap * index;
    context.strokeStyle = "#d0d5dd";
    context.beginPath();
    context.moveTo(x, MARGIN.top);
    context.lineTo(x, MARGIN.top + span);
    context.stroke();
    context.fillStyle = "#344054";
    context.fillText(column.label, x, MARGIN.top - 20, gap * 0.95);
    context.fillStyle = "#667085";
    context.fillText(scales[index].top, x, MARGIN.top - 5);
    context.fillText(scales[index].bottom, x, MARGIN.top + span + 14);
  });
  const rows = [...answer.runs].sort((a, b) => selected.has(a.run) - selected.has(b.run)); // selected on top
  for (const row of rows) {
    context.strokeStyle = colors[row.run] || "#999";
    context.globalAlpha = selected.has(row.run) ? 1 : 0.25;
    context.lineWidth = selected.has(row.run) ? 2 : 1;
    context.beginPath();
    let drawing = false;
    columns.forEach((column, index) => {
      const value = column.get(row);
      if (!present(value)) {
        drawing = false; // a gap where the run lacks the value
        return;
      }
      const point = [MARGIN.side + gap * index, MARGIN.top + span * (1 - scales[index].place(value))];
      if (drawing) context.lineTo(...point);
      else context.moveTo(...point);
      drawing = true;
    });
    context.stroke();
  }
  context.globalAlpha = 1;
  context.lineWidth = 1;
  return rows.length;
}

const present = (value) => value !== undefined && value !== null;

/** Where a value sits on its axis, 0 (bottom) to 1 (top), and the labels of the ends. */
function scale(values) {
  if (values.every((value) => typeof value === "number")) {
    const low = Math.min(...values);
    const high = Math.max(...values);
    const label = (value) => String(+value.toPrecision(4));
    return { place: (value) => (high > low ? (value - low) / (high - low) : 0.5), top: label(high), bottom: label(low) };
  }
  const names = [...new Set(values.map(String))].sort(naturalCompare);
  return {
    place: (value) => (names.length > 1 ? names.indexOf(String(value)) / (names.length - 1) : 0.5),
    top: names[names.length - 1],
    bottom: names.length > 1 ? names[0] : "",
  };
}
