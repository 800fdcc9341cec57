// The dashboard's only way to the server: JSON routes and the live feed (docs/server-api.md).

async function getJSON(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null) query.append(name, String(item));
    }
  }
  const response = await fetch(query.size ? `${path}?${query}` : path, { credentials: "same-origin" });
  const body = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok) throw new Error(body.error || `${path}: HTTP ${response.status}`);
  return body;
}

export const listRuns = () => getJSON("api/runs").then((body) => body.runs);

export const listTags = (runs) => getJSON("api/tags", { run: runs });

export const readEvents = (runs) => getJSON("api/events", { run: runs }).then((body) => body.events);

/** Series of runs x tags; `range` is [from, to] in units of `x` ("step", "epoch", "wall_time"). */
export function readSeries({ runs, tags, width, x, range, smoothing, weight, window }) {
  return getJSON("api/series", {
    run: runs,
    tag: tags,
    width: Math.max(1, Math.round(width)),
    x,
    from: range ? range[0] : undefined,
    to: range ? range[1] : undefined,
    smoothing,
    weight: smoothing === "ema" ? weight : undefined,
    window: smoothing === "mean" ? window : undefined,
  }).then((body) => body.series);
}

/** Calls `onMessage` with each change the server pushes; `onState` with "live" or "reconnecting". */
export function follow(onMessage, onState) {
  const source = new EventSource("api/live");
  source.onopen = () => onState("live");
  source.onerror = () => onState("reconnecting");
  source.onmessage = (event) => onMessage(JSON.parse(event.data));
  return () => source.close();
}
