// The hyper-parameter table: one row a run, its hyper-parameters and the last value of each
// metric; a click on a heading sorts by it, a click on a row selects or deselects that run.
// The same rows can be drawn as parallel coordinates (parallel.js).

import { drawParallel } from "./parallel.js";
import { naturalCompare } from "./runlist.js";

const number = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 6 });

export class HparamsTable {
  /** `onToggle(run, selected)` when a row is clicked. */
  constructor(container, onToggle) {
    this.element = document.createElement("section"); // not an article: those are the chart cards
    this.element.className = "card hparams-card";
    const header = document.createElement("header");
    const title = document.createElement("h2");
    title.textContent = "Hyper-parameters";
    const views = document.createElement("span");
    views.className = "downloads";
    for (const name of ["table", "parallel"]) {
      const choose = document.createElement("button");
      choose.type = "button";
      choose.textContent = name;
      choose.addEventListener("click", () => this.show(name));
      views.append(choose);
    }
    header.append(title, views);
    this.table = document.createElement("table");
    this.table.className = "hparams";
    this.scroller = document.createElement("div");
    this.scroller.className = "table-scroll";
    this.scroller.append(this.table);
    this.canvas = document.createElement("canvas");
    this.canvas.className = "parallel";
    this.element.append(header, this.scroller, this.canvas);
    this.view = "table";
    this.element.dataset.view = this.view;
    container.append(this.element);
    this.onToggle = onToggle;
    this.sort = { column: "run", descending: false };
    this.answer = null;
    this.selected = new Set();
  }

  /** Show the rows as a "table" or as "parallel" coordinates. */
  show(view) {
    this.view = view;
    this.element.dataset.view = view;
    if (this.answer) this.render(this.answer, this.selected, this.colors);
  }

  /** `answer`: what /api/hparams said for every run; `selected`: the names selected. */
  render(answer, selected, colors) {
    this.answer = answer;
    this.selected = selected;
    this.colors = colors;
    const columns = [
      { key: "run", label: "run", get: (row) => row.run },
      ...answer.hparams.map((name) => ({ key: `h:${name}`, label: name, get: (row) => row.hparams[name] })),
      ...answer.metrics.map((name) => ({ key: `m:${name}`, label: name, get: (row) => row.metrics[name], metric: true })),
    ];
    const sortBy = columns.find((column) => column.key === this.sort.column) || columns[0];
    const rows = [...answer.runs].sort((a, b) => compare(sortBy.get(a), sortBy.get(b)) * (this.sort.descending ? -1 : 1));
    const head = document.createElement("tr");
    for (const column of columns) {
      const cell = document.createElement("th");
      cell.textContent = column.label;
      cell.className = column.metric ? "metric" : "";
      if (column.key === sortBy.key) cell.dataset.sorted = this.sort.descending ? "descending" : "ascending";
      cell.addEventListener("click", () => {
        this.sort = { column: column.key, descending: column.key === sortBy.key ? !this.sort.descending : false };
        this.render(this.answer, this.selected, this.colors);
      });
      head.append(cell);
    }
    const body = rows.map((row) => {
      const line = document.createElement("tr");
      line.dataset.run = row.run;
      line.classList.toggle("selected", selected.has(row.run));
      for (const column of columns) {
        const cell = document.createElement("td");
        const value = column.get(row);
        if (column.key === "run") {
          const swatch = document.createElement("span");
          swatch.className = "swatch";
          swatch.style.background = colors[row.run] || "#999";
          cell.append(swatch, document.createTextNode(row.run));
        } else {
          cell.textContent = value === undefined || value === null ? "–" : typeof value === "number" ? number.format(value) : String(value);
        }
        line.append(cell);
      }
      line.addEventListener("click", () => this.onToggle(row.run, !selected.has(row.run)));
      return line;
    });
    this.table.replaceChildren(head, ...body);
    this.scroller.hidden = this.view !== "table";
    this.canvas.hidden = this.view !== "parallel";
    if (this.view === "parallel") this.element.dataset.lines = String(drawParallel(this.canvas, answer, selected, colors));
  }
}

/** Numbers by value, missing values last, everything else as text (natural order). */
function compare(a, b) {
  const missing = (value) => value === undefined || value === null;
  if (missing(a) || missing(b)) return missing(a) - missing(b);
  if (typeof a === "number" && typeof b === "number") return a - b;
  return naturalCompare(String(a), String(b));
}
