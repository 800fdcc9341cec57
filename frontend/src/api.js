// The dashboard's only way to the server: JSON routes and the live feed (docs/server-api.md).
// In a `lossboard report` file there is no server: the answers are inlined in the page and
// `report.js` gives them, so every other module works the same in both.

import { answer, inlinedReport } from "./report.js";

const report = inlinedReport();
export const isReport = report !== null;

async function get(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null) query.append(name, String(item));
    }
  }
  const response = await fetch(query.size ? `${path}?${query}` : path, { credentials: "same-origin" });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error || `${path}: HTTP ${response.status} ${response.statusText}`);
  }
  return response;
}

async function getJSON(path, params) {
  if (report) return answer(report, path, params || {});
  return (await get(path, params)).json();
}

const SERIES_COLUMNS = ["step", "epoch", "wall_time", "value"];

/** The series answer in the `format=columns` layout (lossboard/server/columns.py): a JSON header,
 * then float64 columns; each becomes the array JSON would have given, NaN and infinities as null. */
export function decodeColumns(buffer) {
  const length = new DataView(buffer).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
  let offset = 4 + length;
  const column = (count) => {
    const values = new Float64Array(buffer, offset, count);
    offset += 8 * count;
    return Array.from(values, (v) => (Number.isFinite(v) ? v : null));
  };
  return header.series.map(({ points, smoothed, ...series }) => {
    for (const name of SERIES_COLUMNS) series[name] = column(points);
    series.smoothed = smoothed ? column(points) : null;
    return series;
  });
}

export const listRuns = () => getJSON("api/runs").then((body) => body.runs);

export const listTags = (runs) => getJSON("api/tags", { run: runs });

export const readEvents = (runs) => getJSON("api/events", { run: runs }).then((body) => body.events);

/** Series of runs x tags; `range` is [from, to] in units of `x` ("step", "epoch", "wall_time"). */
export async function readSeries({ runs, tags, width, x, range, smoothing, weight, window, halfLife, times, ends }) {
  const params = {
    run: runs,
    tag: tags,
    width: Math.max(1, Math.round(width)),
    x,
    from: range ? range[0] : undefined,
    to: range ? range[1] : undefined,
    smoothing,
    weight: smoothing === "ema" ? weight : undefined,
    window: smoothing === "mean" ? window : smoothing === "time_ema" ? halfLife : undefined, // the half-life, in steps
    times, // "all", or "epoch" without wall times: what the chart shows
    ends: ends ? 1 : undefined, // where each run ends (`run_end`): a learning rate holds until then
  };
  if (report) return (await getJSON("api/series", params)).series;
  const response = await get("api/series", { ...params, format: "columns" });
  return decodeColumns(await response.arrayBuffer());
}

export const listMedia = (runs) => getJSON("api/media", { run: runs }).then((body) => body.media);

export const readMediaRecords = (run, tag) => getJSON("api/media/records", { run, tag }).then((body) => body.records);

export const readHparams = (runs) => getJSON("api/hparams", { run: runs });

/** Where the image or sound of `run`'s `tag` at `step` is: the server's route, or the report's inlined copy. */
export function mediaURL(run, tag, step) {
  if (report) return report.images[`${run}\u0000${tag}\u0000${step}`] || "";
  return `api/media/item?${new URLSearchParams({ run, tag, step: String(step) })}`;
}

/** Calls `onMessage` with each change the server pushes; `onState` with "live" or "reconnecting". */
export function follow(onMessage, onState) {
  if (report) {
    onState(`report of ${new Date(report.generated * 1000).toLocaleString()}`);
    return () => {};
  }
  const source = new EventSource("api/live");
  source.onopen = () => onState("live");
  source.onerror = () => onState("reconnecting");
  source.onmessage = (event) => onMessage(JSON.parse(event.data));
  return () => source.close();
}
