// Wires the page: run list, toolbar, chart cards and the live feed, all driven by one state.

import "uplot/dist/uPlot.min.css";
import "./style.css";
import { follow, isReport, listMedia, listRuns, listTags, readEvents, readHparams } from "./api.js";
import { ChartCard } from "./chart.js";
import { HparamsTable } from "./hparams.js";
import { audioCard, histogramCard, imageCard, prCurveCard, textCard } from "./media.js";
import { naturalCompare, RunList } from "./runlist.js";
import { loadState, regexOrNull, saveState } from "./state.js";

const $ = (id) => document.getElementById(id);
const state = loadState(location.search);
let runs = []; // what /api/runs said last
let cards = new Map(); // group key -> ChartCard
let groups = [];
let events = {};
let mediaShown = ""; // the media listing drawn, so that a reload keeps sliders where they are

const MANY_RUNS = 50; // past this many, a page opened without a selection shows the latest few
const FIRST_SHOWN = 20;

const hparamsTable = new HparamsTable($("hparams"), (name, selected) => toggleRuns([name], selected));
hparamsTable.element.hidden = true;

const runList = new RunList($("run-list"), (names, selected) => toggleRuns(names, selected));

function toggleRuns(names, selected) {
  const chosen = new Set(selectedRuns());
  for (const name of names) {
    if (selected) chosen.add(name);
    else chosen.delete(name);
  }
  state.runs = runs.map((run) => run.name).filter((n) => chosen.has(n));
  changed({ tags: true });
}


/** Runs in natural order of name (run2 before run10): the legends' and the table's order too. */
const naturalOrder = (found) => found.sort((a, b) => naturalCompare(a.name, b.name));

function selectedRuns() {
  const names = runs.map((run) => run.name);
  return state.runs === null ? names : names.filter((name) => state.runs.includes(name));
}

function showMessage(text) {
  $("message").hidden = !text;
  $("message").textContent = text || "";
}

/** Re-render after a state change; `tags`: the set of runs changed, so re-read their tags. */
async function changed({ tags = false } = {}) {
  saveState(state);
  renderRunList();
  try {
    if (tags) await loadTags();
    layoutCards();
    await Promise.all([...cards.values()].map((card) => card.load(chartView())).concat(tags ? [loadMedia()] : []));
    showMessage("");
  } catch (error) {
    showMessage(String(error.message || error));
  }
}

function renderRunList() {
  const pattern = regexOrNull(state.runFilter);
  $("run-filter-error").hidden = pattern !== null;
  $("run-filter-error").textContent = pattern === null ? "not a regular expression" : "";
  runList.render(runs, new Set(selectedRuns()), pattern);
}

async function loadTags() {
  const names = selectedRuns();
  if (!names.length) {
    groups = [];
    events = {};
    return;
  }
  const [found, foundEvents] = await Promise.all([listTags(names), readEvents(names)]);
  groups = found.groups;
  events = foundEvents;
}

function layoutCards() {
  const pattern = regexOrNull(state.tagFilter) || /(?:)/;
  const wanted = groups
    .map((group) => ({ ...group, tags: group.tags.filter((tag) => pattern.test(tag)) }))
    .filter((group) => group.tags.length);
  const keep = new Set(wanted.map((group) => group.key));
  for (const [key, card] of cards) {
    if (!keep.has(key) || card.group.tags.join() !== wanted.find((g) => g.key === key).tags.join()) {
      card.destroy();
      cards.delete(key);
    }
  }
  const container = $("charts");
  for (const group of wanted) {
    const card = cards.get(group.key) ?? new ChartCard(container, group, {
      zoom: state.zoom[group.key] ?? null,
      onZoom: (range) => {
        if (range) state.zoom[group.key] = range.map((x) => +x.toPrecision(8));
        else delete state.zoom[group.key];
        saveState(state);
      },
    });
    cards.set(group.key, card);
    container.append(card.element); // keep the groups' order
  }
  if (!wanted.length) showMessage(selectedRuns().length ? "no tags match the filter" : "select a run");
}

/** The hparams table (every run, selected ones marked) and a card per media tag of the selection. */
async function loadMedia() {
  const colors = Object.fromEntries(runs.map((run) => [run.name, run.color]));
  const names = runs.map((run) => run.name);
  const [table, listing] = await Promise.all([
    names.length ? readHparams(names) : null,
    selectedRuns().length ? listMedia(selectedRuns()) : [],
  ]);
  const worth = table && (table.hparams.length > 0 || table.runs.length > 1);
  hparamsTable.element.hidden = !worth;
  if (worth) hparamsTable.render(table, new Set(selectedRuns()), colors);
  const pattern = regexOrNull(state.tagFilter) || /(?:)/;
  const order = ["image", "video", "audio", "histogram", "pr_curve", "text"];
  const shown = listing.filter((item) => order.includes(item.kind) && pattern.test(item.tag))
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  const key = JSON.stringify(shown);
  if (key === mediaShown) return;
  mediaShown = key;
  const cardsOf = { image: imageCard, video: imageCard, audio: audioCard, text: textCard, histogram: histogramCard, pr_curve: prCurveCard };
  $("media").replaceChildren(...shown.map((item) => cardsOf[item.kind](item, colors[item.run] || "#0072b2")));
}

function chartView() {
  const colors = Object.fromEntries(runs.map((run) => [run.name, run.color]));
  return { runs: selectedRuns(), colors, smoothing: state.smoothing, weight: state.weight, window: state.window,
           halfLife: state.halfLife, x: state.x, logY: state.logY, clipY: state.clipY, events };
}

function bindToolbar() {
  const bind = (id, key, read, options = {}) => {
    const input = $(id);
    const show = () => (input.type === "checkbox" ? (input.checked = state[key]) : (input.value = state[key]));
    show();
    input.addEventListener(options.event || "change", () => {
      state[key] = read(input);
      syncToolbar();
      changed(options);
    });
  };
  bind("smoothing", "smoothing", (i) => {
    if (i.value === "time_ema" && state.halfLife === null) state.halfLife = roundHalfLife(selectedRuns());
    return i.value;
  });
  bind("half-life", "halfLife", (i) => Math.max(1, Math.round(Number(i.value) || 1)));
  bind("weight", "weight", (i) => Number(i.value));
  bind("window", "window", (i) => Math.max(1, Math.round(Number(i.value) || 1)));
  bind("x-axis", "x", (i) => {
    state.zoom = {}; // a range on one axis means nothing on another
    for (const card of cards.values()) card.zoomTo(null, { reload: false }); // changed() reloads them
    return i.value;
  });
  bind("log-y", "logY", (i) => i.checked);
  bind("clip-y", "clipY", (i) => i.checked);
  bind("tag-filter", "tagFilter", (i) => i.value, { event: "input", tags: true });
  const filter = $("run-filter");
  filter.value = state.runFilter;
  let saving = 0;
  filter.addEventListener("input", () => {
    state.runFilter = filter.value;
    renderRunList();
    // history.replaceState costs more than filtering a thousand runs: the URL follows once typing pauses
    clearTimeout(saving);
    saving = setTimeout(() => saveState(state), 300);
  });
  const visible = () => {
    const pattern = regexOrNull(state.runFilter);
    return runs.map((run) => run.name).filter((name) => !pattern || pattern.test(name));
  };
  $("select-all").addEventListener("click", () => {
    state.runs = [...new Set([...selectedRuns(), ...visible()])];
    changed({ tags: true });
  });
  $("select-none").addEventListener("click", () => {
    const hidden = new Set(visible());
    state.runs = selectedRuns().filter((name) => !hidden.has(name));
    changed({ tags: true });
  });
  syncToolbar();
}

/** A first half-life for `names`: a 50th of the longest run's steps, rounded to 1, 2 or 5 x 10^n.
 * It is then kept (and put in the URL), so the curve does not change as the runs grow. */
function roundHalfLife(names) {
  const longest = Math.max(1, ...runs.filter((run) => names.includes(run.name)).map((run) => run.last_step || 0));
  const rough = Math.max(1, longest / 50);
  const power = 10 ** Math.floor(Math.log10(rough));
  return [5, 2, 1].map((m) => m * power).find((nice) => nice <= rough);
}

function syncToolbar() {
  $("weight-label").hidden = state.smoothing !== "ema";
  $("half-life-label").hidden = state.smoothing !== "time_ema";
  if (state.halfLife !== null) $("half-life").value = state.halfLife;
  $("window-label").hidden = state.smoothing !== "mean";
  $("weight-value").textContent = state.weight.toFixed(2);
}

/** The live feed: fetch only what a message says is new. */
function onLive(message) {
  if (message.type === "points" && !message.reset) {
    const known = runs.find((run) => run.name === message.run);
    refreshRuns().then(() => {
      const now = runs.find((run) => run.name === message.run);
      if (!selectedRuns().includes(message.run)) return;
      if (!known || !now || now.tags !== known.tags) return changed({ tags: true }); // a new tag: new cards
      for (const card of cards.values()) card.extend(message.run);
      loadMedia().catch((error) => showMessage(String(error.message || error))); // new steps: new slider stops
    });
    return;
  }
  // a new run, a re-indexed one, a status change or a run gone: the list and charts change
  refreshRuns().then(() => changed({ tags: true }));
}

async function refreshRuns() {
  runs = naturalOrder(await listRuns());
  renderRunList();
}

async function start() {
  bindToolbar();
  if (isReport) {
    $("smoothing").disabled = true; // smoothing runs over every stored point, and a report holds a sample
    $("smoothing").title = "smoothing needs every point: use lossboard serve";
  }
  try {
    runs = naturalOrder(await listRuns());
  } catch (error) {
    showMessage(String(error.message || error));
    return;
  }
  if (state.runs === null && runs.length > MANY_RUNS) {
    // a thousand runs drawn at once is a chart nobody can read and a long wait: the latest few
    state.runs = [...runs].sort((a, b) => (b.updated ?? 0) - (a.updated ?? 0)).slice(0, FIRST_SHOWN).map((run) => run.name);
    $("run-note").hidden = false;
    $("run-note").textContent = `${runs.length.toLocaleString("en-US")} runs: the ${FIRST_SHOWN} updated last are drawn; tick more, or a folder's box`;
  }
  if (state.smoothing === "time_ema" && state.halfLife === null) {
    state.halfLife = roundHalfLife(selectedRuns()); // a link without one: fixed now, for as long as the page lives
    syncToolbar();
  }
  await changed({ tags: true });
  follow(onLive, (status) => {
    $("live-status").textContent = status;
    $("live-status").dataset.state = status;
  });
  setInterval(() => runList.tick(), 1000);
  // a status read from the data's recency (running, then stale) changes with no new data
  setInterval(() => refreshRuns().catch((error) => showMessage(String(error.message || error))), 30_000);
  const measureToolbar = () => document.documentElement.style.setProperty(
    "--toolbar-height", `${document.querySelector(".toolbar").offsetHeight}px`); // where the run list sticks
  measureToolbar();
  let resizing = 0;
  window.addEventListener("resize", () => {
    measureToolbar();
    clearTimeout(resizing);
    resizing = setTimeout(() => cards.forEach((card) => card.resize()), 100);
  });
}

start();
