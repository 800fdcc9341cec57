// The run list: filter by regex, select, colour swatch, status, last step, "updated N s ago".

const naturally = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

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

export class RunList {
  /** `onToggle(name, selected)` when a box is clicked. */
  constructor(element, onToggle) {
    this.element = element;
    this.onToggle = onToggle;
    this.items = new Map(); // name -> {li, box, status, detail}
  }

  /** Show `runs` (those `pattern` finds, naturally sorted), ticking those in `selected`. */
  render(runs, selected, pattern) {
    const shown = runs.filter((run) => !pattern || pattern.test(run.name)).sort((a, b) => naturalCompare(a.name, b.name));
    const keep = new Set(shown.map((run) => run.name));
    for (const [name, item] of this.items) {
      if (!keep.has(name)) {
        item.li.remove();
        this.items.delete(name);
      }
    }
    for (const run of shown) {
      const item = this.items.get(run.name) ?? this.create(run);
      item.box.checked = selected.has(run.name);
      item.swatch.style.backgroundColor = run.color;
      item.status.textContent = run.status === "unknown" ? "" : run.status;
      item.status.className = `status status-${run.status}`;
      item.run = run;
      this.element.append(item.li); // in sorted order
    }
    this.tick();
  }

  /** Refresh the "updated N s ago" texts. */
  tick() {
    const now = Date.now() / 1000;
    for (const item of this.items.values()) {
      const run = item.run;
      const step = run.last_step === null ? "no points" : `step ${run.last_step.toLocaleString("en-US")}`;
      item.detail.textContent = run.updated === null ? step : `${step} · updated ${ago(now - run.updated)}`; // null: a report
    }
  }

  create(run) {
    const li = document.createElement("li");
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.addEventListener("change", () => this.onToggle(run.name, box.checked));
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
    const item = { li, box, swatch, status, detail, run };
    this.items.set(run.name, item);
    return item;
  }
}
