// What the user chose, mirrored in the URL so that a copied link reopens the same view.

const DEFAULTS = {
  runs: null, // null: every run; else the selected names
  runFilter: "",
  tagFilter: "",
  smoothing: "none",
  weight: 0.6,
  window: 10,
  halfLife: null, // steps; null: chosen from the runs' length when time-weighted EMA is first picked
  x: "epoch",
  logY: false,
  clipY: false, // y range without the outliers
  zoom: {}, // chart group -> [from, to] on the x axis
};

export function loadState(search) {
  const params = new URLSearchParams(search);
  const state = { ...DEFAULTS };
  if (params.has("run")) state.runs = params.getAll("run").filter(Boolean);
  state.runFilter = params.get("runs") ?? DEFAULTS.runFilter;
  state.tagFilter = params.get("tags") ?? DEFAULTS.tagFilter;
  state.smoothing = ["none", "ema", "time_ema", "mean"].includes(params.get("smoothing")) ? params.get("smoothing") : DEFAULTS.smoothing;
  state.weight = clamp(Number(params.get("weight") ?? DEFAULTS.weight), 0, 0.99, DEFAULTS.weight);
  state.window = Math.round(clamp(Number(params.get("window") ?? DEFAULTS.window), 1, 100000, DEFAULTS.window));
  state.halfLife = params.has("half_life") ? Math.round(clamp(Number(params.get("half_life")), 1, 1000000, 100)) : null;
  state.x = ["step", "epoch", "wall", "relative"].includes(params.get("x")) ? params.get("x") : DEFAULTS.x;
  state.logY = params.get("log") === "1";
  state.clipY = params.get("clip") === "1";
  state.zoom = {};
  for (const text of params.getAll("zoom")) {
    const [group, from, to] = text.split(":");
    if (group && Number.isFinite(Number(from)) && Number.isFinite(Number(to)) && Number(from) < Number(to)) {
      state.zoom[group] = [Number(from), Number(to)];
    }
  }
  return state;
}

/** The URL's query for `state`: only what differs from the defaults; never the token. */
export function stateQuery(state) {
  const params = new URLSearchParams();
  if (state.runs !== null) {
    if (state.runs.length === 0) params.append("run", "");
    for (const run of state.runs) params.append("run", run);
  }
  if (state.runFilter) params.set("runs", state.runFilter);
  if (state.tagFilter) params.set("tags", state.tagFilter);
  if (state.smoothing !== DEFAULTS.smoothing) params.set("smoothing", state.smoothing);
  if (state.smoothing === "ema") params.set("weight", String(state.weight));
  if (state.smoothing === "mean") params.set("window", String(state.window));
  if (state.smoothing === "time_ema" && state.halfLife !== null) params.set("half_life", String(state.halfLife));
  if (state.x !== DEFAULTS.x) params.set("x", state.x);
  if (state.logY) params.set("log", "1");
  if (state.clipY) params.set("clip", "1");
  for (const [group, [from, to]] of Object.entries(state.zoom)) params.append("zoom", `${group}:${from}:${to}`);
  return params.toString();
}

export function saveState(state) {
  const query = stateQuery(state);
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

/** A regular expression from what the user typed, or null when it is not one. */
export function regexOrNull(text) {
  try {
    return new RegExp(text, "i");
  } catch {
    return null;
  }
}

function clamp(value, low, high, fallback) {
  return Number.isFinite(value) ? Math.min(high, Math.max(low, value)) : fallback;
}
