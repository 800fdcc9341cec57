// The run list: filter by regex, select, colour swatch, status, last step, "updated N s ago",
// runs grouped by the folder they sit in (collapsible, a box that selects the whole group).
//
// Virtualised for thousands of runs: every row has a fixed height, the list is as tall as all
// the rows it shows, and only the rows in view (and a few either side) are in the document, so
// a keystroke in the filter lays out a screenful of rows, not a thousand.

const naturally = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
const number = new Intl.NumberFormat("en-US"); // made once: toLocaleString builds one a call

export const naturalCompare = (a, b) => naturally.compare(a, b);

/** "12 s ago", "3 min ago", "2 h ago", "4 d ago" for a time `seconds` before now. */
export function ago(seconds) {
  if (!Number.isFinite(seconds)) return "never";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** The folder a run sits in: the parent of its own folder ("" when it has none). */
export function folderOf(run) {
  const path = (run.path || "").replace(/[\\/]+$/, "");
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut > 0 ? path.slice(0, cut) : "";
}

/** `folders` named by their last parts, as few as tell them apart ("logs", or "a/logs" and "b/logs"). */
function shortNames(folders) {
  const split = folders.map((folder) => folder.split(/[\\/]/).filter(Boolean));
  const longest = Math.max(1, ...split.map((parts) => parts.length));
  let kept = 1;
  const named = () => split.map((parts) => parts.slice(-kept).join("/"));
  while (kept < longest && new Set(named()).size < folders.length) kept++;
  return new Map(folders.map((folder, i) => [folder, named()[i] || "(no folder)"]));
}

/** `element[property] = value`, unless it already is: a write the same as before still costs a restyle. */
function set(element, property, value) {
  if (element[property] !== value) element[property] = value;
}

const GROUP_HEIGHT = 30; // px: style.css gives the rows these heights
const RUN_HEIGHT = 46;
const SPARE_PX = 400; // rows kept in the document beyond the visible ones, for smooth scrolling

export class RunList {
  /** `onToggle(names, selected)` when a run's box, or a group's, is clicked. */
  constructor(element, onToggle) {
    this.element = element;
    this.onToggle = onToggle;
    this.items = new Map(); // name -> {li, box, swatch, status, detail, run, shown, selected}
    this.groups = []; // [{folder, header, box, count, fold, items}] in natural order of folder
    this.collapsed = new Set(); // folders the user folded
    this.layout = ""; // the runs and folders the rows were built for
    this.rows = []; // [{element, top, item | group}] in order: what the list shows, in view or not
    this.scroller = element.closest(".runs") || element.parentElement;
    let pending = 0;
    this.scroller.addEventListener("scroll", () => {
      if (!pending) pending = requestAnimationFrame(() => { pending = 0; this.paint(); });
    }, { passive: true });
  }

  /** Show `runs` (those `pattern` finds, naturally sorted within their folder), ticking those in `selected`. */
  render(runs, selected, pattern) {
    const layout = runs.map((run) => `${run.name}\u0000${run.path}`).join("\u0001");
    if (layout !== this.layout) this.build(runs);
    this.layout = layout;
    for (const run of runs) {
      const item = this.items.get(run.name);
      item.run = run;
      item.shown = pattern === null || pattern.test(run.name);
      item.selected = selected.has(run.name);
    }
    this.arrange();
  }

  build(runs) {
    this.items.clear();
    const byFolder = new Map();
    for (const run of runs) byFolder.set(folderOf(run), (byFolder.get(folderOf(run)) || []).concat(run));
    const folders = [...byFolder.keys()].sort(naturalCompare);
    const names = shortNames(folders);
    const grouped = folders.length > 1; // one folder: a plain list, nothing to fold
    this.element.classList.toggle("grouped", grouped);
    this.groups = folders.map((folder) => {
      const group = grouped ? this.createGroup(folder, names.get(folder)) : { folder, header: null };
      group.items = byFolder.get(folder).sort((a, b) => naturalCompare(a.name, b.name)).map((run) => this.createItem(run));
      return group;
    });
  }

  /** The rows the filter and the folds leave, with their places; the list takes their height. */
  arrange() {
    this.rows = [];
    let top = 0;
    let count = 0;
    for (const group of this.groups) {
      const shown = group.items.filter((item) => item.shown);
      if (!shown.length) continue;
      count += shown.length;
      const folded = this.collapsed.has(group.folder);
      if (group.header) {
        const ticked = shown.filter((item) => item.selected).length;
        Object.assign(group, { shown, ticked, folded });
        this.rows.push({ element: group.header, top, group });
        top += GROUP_HEIGHT;
      }
      if (folded && group.header) continue;
      for (const item of shown) {
        this.rows.push({ element: item.li, top, item });
        top += RUN_HEIGHT;
      }
    }
    this.element.style.height = `${top}px`;
    this.element.dataset.shown = String(count);
    this.paint();
  }

  /** Puts the rows in view (and `SPARE_PX` either side) in the document, up to date; no others. */
  paint() {
    const from = this.scroller.scrollTop - this.element.offsetTop - SPARE_PX;
    const to = from + this.scroller.clientHeight + 2 * SPARE_PX;
    let low = 0, high = this.rows.length;
    while (low < high) { // the first row that ends below `from`
      const middle = (low + high) >> 1;
      if (this.rows[middle].top + RUN_HEIGHT <= from) low = middle + 1;
      else high = middle;
    }
    const visible = [];
    for (let i = low; i < this.rows.length && this.rows[i].top < to; i++) visible.push(this.rows[i]);
    for (const row of visible) {
      set(row.element.style, "top", `${row.top}px`);
      if (row.group) this.showGroup(row.group);
      else this.showItem(row.item);
    }
    const wanted = visible.map((row) => row.element);
    const now = [...this.element.children];
    if (wanted.length !== now.length || wanted.some((element, i) => element !== now[i])) this.element.replaceChildren(...wanted);
    this.tick();
  }

  showItem(item) {
    const run = item.run;
    set(item.box, "checked", item.selected);
    if (item.color !== run.color) {
      item.color = run.color;
      item.swatch.style.backgroundColor = run.color;
    }
    set(item.status, "textContent", run.status === "unknown" ? "" : run.status);
    set(item.status, "className", `status status-${run.status}`);
  }

  /** A group's box (ticked, partly or not), its count and its fold. */
  showGroup(group) {
    set(group.box, "checked", group.ticked === group.shown.length);
    set(group.box, "indeterminate", group.ticked > 0 && group.ticked < group.shown.length);
    set(group.count, "textContent", `${group.ticked} of ${group.shown.length}`);
    set(group.fold, "textContent", group.folded ? "▸" : "▾");
    group.fold.setAttribute("aria-expanded", String(!group.folded));
  }

  /** Refresh the "updated N s ago" texts of the rows in the document. */
  tick() {
    const now = Date.now() / 1000;
    for (const element of this.element.children) {
      const item = element.item;
      if (!item) continue;
      const run = item.run;
      const step = run.last_step === null ? "no points" : `step ${number.format(run.last_step)}`;
      set(item.detail, "textContent", run.updated === null ? step : `${step} · updated ${ago(now - run.updated)}`); // null: a report
    }
  }

  /** A group's header row: fold button, a box for the whole group, the folder, a count. */
  createGroup(folder, name) {
    const header = document.createElement("li");
    header.className = "run-group";
    header.dataset.folder = folder;
    const fold = document.createElement("button");
    fold.type = "button";
    fold.className = "fold";
    fold.title = "fold or unfold this folder";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.title = "select every run shown in this folder";
    const label = document.createElement("span");
    label.className = "group-name";
    label.textContent = name;
    label.title = folder;
    const count = document.createElement("span");
    count.className = "group-count";
    header.append(fold, box, label, count);
    const group = { folder, header, box, count, fold, items: [], shown: [], ticked: 0, folded: false };
    fold.addEventListener("click", () => {
      if (this.collapsed.has(folder)) this.collapsed.delete(folder);
      else this.collapsed.add(folder);
      this.arrange();
    });
    box.addEventListener("change", () => this.onToggle(group.shown.map((item) => item.run.name), box.checked));
    return group;
  }

  createItem(run) {
    const li = document.createElement("li");
    li.className = "run";
    li.dataset.folder = folderOf(run);
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.addEventListener("change", () => this.onToggle([run.name], box.checked));
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    const name = document.createElement("span");
    name.className = "run-name";
    name.textContent = run.name;
    name.title = run.path ? `${run.name}\n${run.path}` : run.name;
    const status = document.createElement("span");
    const detail = document.createElement("span");
    detail.className = "run-detail";
    label.append(box, swatch, name, status);
    li.append(label, detail);
    const item = { li, box, swatch, status, detail, run, shown: true, selected: false, color: null };
    li.item = item;
    this.items.set(run.name, item);
    return item;
  }
}
