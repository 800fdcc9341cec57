// The run list: filter by regex, select, colour swatch, status, last step, "updated N s ago",
// runs grouped by the folder they sit in (collapsible, a box that selects the whole group).
//
// Built for a thousand runs: the elements are made once per set of runs, and filtering or
// selecting only flips `hidden` and `checked`; rows off screen are skipped by the browser's
// layout (`content-visibility: auto` in style.css).

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

export class RunList {
  /** `onToggle(names, selected)` when a run's box, or a group's, is clicked. */
  constructor(element, onToggle) {
    this.element = element;
    this.onToggle = onToggle;
    this.items = new Map(); // name -> {li, box, swatch, status, detail, run, group}
    this.groups = []; // [{folder, li, box, list, count, items}] in natural order of folder
    this.collapsed = new Set(); // folders the user folded
    this.layout = ""; // the runs and folders the elements were built for
  }

  /** Show `runs` (those `pattern` finds, naturally sorted within their folder), ticking those in `selected`. */
  render(runs, selected, pattern) {
    const layout = runs.map((run) => `${run.name}\u0000${run.path}`).join("\u0001");
    if (layout !== this.layout) this.build(runs);
    this.layout = layout;
    for (const run of runs) {
      const item = this.items.get(run.name);
      // only what changed is written: a keystroke in the filter then restyles the rows it hides or shows
      set(item.li, "hidden", pattern !== null && !pattern.test(run.name));
      set(item.box, "checked", selected.has(run.name));
      if (item.run.color !== run.color || !item.swatch.style.backgroundColor) item.swatch.style.backgroundColor = run.color;
      set(item.status, "textContent", run.status === "unknown" ? "" : run.status);
      set(item.status, "className", `status status-${run.status}`);
      item.run = run;
    }
    for (const group of this.groups) this.showGroup(group);
    this.tick();
  }

  build(runs) {
    this.element.replaceChildren();
    this.items.clear();
    const byFolder = new Map();
    for (const run of runs) byFolder.set(folderOf(run), (byFolder.get(folderOf(run)) || []).concat(run));
    const folders = [...byFolder.keys()].sort(naturalCompare);
    const names = shortNames(folders);
    const grouped = folders.length > 1; // one folder: a plain list, nothing to fold
    this.element.classList.toggle("grouped", grouped);
    this.groups = folders.map((folder) => {
      const members = byFolder.get(folder).sort((a, b) => naturalCompare(a.name, b.name));
      const group = grouped ? this.createGroup(folder, names.get(folder)) : { folder, list: this.element };
      group.items = members.map((run) => this.createItem(run));
      group.items.forEach((item) => {
        item.group = group;
        group.list.append(item.li);
      });
      return group;
    });
  }

  /** A group's header (fold button, box for the whole group, folder, count) and its list. */
  createGroup(folder, name) {
    const li = document.createElement("li");
    li.className = "run-group";
    li.dataset.folder = folder;
    const header = document.createElement("div");
    header.className = "group-header";
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
    const list = document.createElement("ul");
    li.append(header, list);
    this.element.append(li);
    const group = { folder, li, box, list, count, fold, items: [] };
    fold.addEventListener("click", () => {
      if (this.collapsed.has(folder)) this.collapsed.delete(folder);
      else this.collapsed.add(folder);
      this.showGroup(group);
    });
    box.addEventListener("change", () => {
      const shown = group.items.filter((item) => !item.li.hidden).map((item) => item.run.name);
      this.onToggle(shown, box.checked);
    });
    return group;
  }

  /** A group's box (ticked, partly or not), its count, folded or not, hidden when the filter leaves it empty. */
  showGroup(group) {
    if (!group.li) return;
    const shown = group.items.filter((item) => !item.li.hidden);
    const ticked = shown.filter((item) => item.box.checked).length;
    set(group.li, "hidden", shown.length === 0);
    set(group.box, "checked", shown.length > 0 && ticked === shown.length);
    set(group.box, "indeterminate", ticked > 0 && ticked < shown.length);
    set(group.count, "textContent", `${ticked} of ${shown.length}`);
    const folded = this.collapsed.has(group.folder);
    set(group.list, "hidden", folded);
    set(group.fold, "textContent", folded ? "▸" : "▾");
    group.fold.setAttribute("aria-expanded", String(!folded));
  }

  /** Refresh the "updated N s ago" texts of the rows one can see. */
  tick() {
    const now = Date.now() / 1000;
    for (const item of this.items.values()) {
      if (item.li.hidden || item.group?.list.hidden) continue;
      const run = item.run;
      const step = run.last_step === null ? "no points" : `step ${number.format(run.last_step)}`;
      const text = run.updated === null ? step : `${step} · updated ${ago(now - run.updated)}`; // null: a report
      set(item.detail, "textContent", text);
    }
  }

  createItem(run) {
    const li = document.createElement("li");
    li.className = "run";
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.addEventListener("change", () => this.onToggle([run.name], box.checked));
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    const name = document.createElement("span");
    name.className = "run-name";
    name.textContent = run.name;
    name.title = run.path;
    const status = document.createElement("span");
    const detail = document.createElement("span");
    detail.className = "run-detail";
    label.append(box, swatch, name, status);
    li.append(label, detail);
    const item = { li, box, swatch, status, detail, run, group: null };
    this.items.set(run.name, item);
    return item;
  }
}
