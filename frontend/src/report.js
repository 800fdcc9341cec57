// Answers the API's questions from the data a `lossboard report` file carries inline, so the
// page runs offline from one file. The data are the server's own answers for every run,
// downsampled once (docs/server-api.md, "lossboard report"); a zoom filters them here, from the
// finer level the report holds of a downsampled series where it has one.

const AXES = { step: "step", epoch: "epoch", wall_time: "wall_time" };

/** The inlined report, or null on a served page. */
export function inlinedReport() {
  const element = document.getElementById("lossboard-report");
  return element ? JSON.parse(element.textContent) : null;
}

/** The answer the server would give to `path` with `params`, from `report`. */
export function answer(report, path, params) {
  const runs = new Set([].concat(params.run ?? []));
  const tags = new Set([].concat(params.tag ?? []));
  switch (path) {
    case "api/runs":
      return { runs: report.runs };
    case "api/tags": {
      const held = report.tags.tags.filter((info) => runs.has(info.run));
      const present = new Set(held.map((info) => info.tag));
      const groups = report.tags.groups
        .map((group) => ({ ...group, tags: group.tags.filter((tag) => present.has(tag)) }))
        .filter((group) => group.tags.length);
      return { tags: held, groups };
    }
    case "api/series": {
      const zoomed = params.from !== undefined || params.to !== undefined;
      const finer = new Map((report.finer || []).map((found) => [seriesKey(found), found]));
      return {
        series: report.series
          .filter((found) => runs.has(found.run) && tags.has(found.tag))
          .map((found) => (zoomed && finer.get(seriesKey(found))) || found)
          .map((found) => within(found, AXES[params.x] || "step", params.from, params.to)),
      };
    }
    case "api/events":
      return { events: Object.fromEntries([...runs].map((run) => [run, report.events[run] || []])) };
    case "api/media":
      return { media: report.media.filter((item) => runs.has(item.run)) };
    case "api/media/records":
      return { records: report.records[`${params.run}\u0000${params.tag}`] || [] };
    case "api/hparams":
      return { ...report.hparams, runs: report.hparams.runs.filter((row) => runs.has(row.run)) };
    default:
      throw new Error(`${path} is not in this report`);
  }
}

const seriesKey = (found) => `${found.run}\u0000${found.tag}\u0000${found.source_tag}`;

/** The points of `series` whose `axis` value lies in [from, to] (all when no range). When the
 * report holds a sample of the series, the range's count of stored points is estimated from
 * the share of the sample it holds (M4 keeps about as many points in every bucket). */
function within(series, axis, from, to) {
  if (from === undefined && to === undefined) return series;
  const low = from === undefined ? -Infinity : Number(from);
  const high = to === undefined ? Infinity : Number(to);
  const keep = series[axis].map((x, index) => (x !== null && x >= low && x <= high ? index : -1)).filter((i) => i >= 0);
  const pick = (column) => (column ? keep.map((index) => column[index]) : column);
  const sampled = series.total_points > series.step.length;
  const total = sampled ? Math.max(keep.length, Math.round((series.total_points * keep.length) / series.step.length)) : keep.length;
  return {
    ...series, total_points: total, estimated: sampled, step: pick(series.step), epoch: pick(series.epoch),
    wall_time: pick(series.wall_time), value: pick(series.value), smoothed: pick(series.smoothed),
  };
}
