// Operations: each projector's position, lag, rate and parked messages, as /v1/projections
// gives them, read again every two seconds while the page is open.

import { chart, COLOURS, figure } from "../charts.js";
import { badge, el, section, table } from "../ui.js";

const EVERY_MS = 2000;

function stateBadge(row) {
  if (row.last_error || row.parked > 0) return badge(row.state, "bad");
  if (row.stale || !row.live) return badge(row.stale ? `${row.state}, stale` : `${row.state}, standby`, "warn");
  return badge(row.state, row.lag > 0 ? "warn" : "ok");
}

export const page = {
  id: "operations",
  title: "Operations",
  async render(ctx) {
    const { fmt } = ctx;
    const grid = el("div", { class: "grid" });
    ctx.main.append(grid);
    const lagBody = section(grid, { id: "lag", title: "Lag by projection", intro: "Events in the log that each read model has not applied yet." });
    const rateBody = section(grid, { id: "rate", title: "Events applied per second", intro: "Each projector's recent rate." });
    const tableBody = section(ctx.main, { id: "projectors", title: "Projectors", intro: "Read again every 2 s." });
    const processBody = section(ctx.main, { id: "processes", title: "Projector processes" });
    const updated = el("p", { class: "intro", id: "operations-updated" });
    tableBody.before(updated);

    const lagChart = chart(figure(lagBody, { id: "projection-lag", title: "Lag (events)", height: 260 }), {
      type: "bar",
      data: { labels: [], datasets: [{ label: "lag", data: [], backgroundColor: COLOURS.warn }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    const rateChart = chart(figure(rateBody, { id: "projection-rate", title: "Events per second", height: 260 }), {
      type: "bar",
      data: { labels: [], datasets: [{ label: "events/s", data: [], backgroundColor: COLOURS.primary }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
    });

    const draw = async () => {
      const body = await ctx.api.get("/v1/projections", {}, { fresh: false });
      const items = body.items;
      for (const [c, key] of [[lagChart, "lag"], [rateChart, "events_per_second"]]) {
        c.data.labels = items.map((p) => p.name);
        c.data.datasets[0].data = items.map((p) => p[key]);
        c.update();
      }
      tableBody.replaceChildren();
      table(tableBody, {
        id: "projectors",
        caption: "Each projector as its owner last published it",
        rows: items.map((p) => ({ ...p, __key: p.name })),
        rowClass: (p) => (p.last_error || p.parked > 0 ? "alert" : p.lag > 0 ? "warn" : null),
        columns: [
          { key: "name", label: "Projection" },
          { key: "state", label: "State", format: (_, p) => stateBadge(p) },
          { key: "events", label: "Events applied", numeric: true, format: fmt.number },
          { key: "position", label: "Position", format: (v) => el("code", { title: v, text: `${String(v).slice(0, 14)}…` }) },
          { key: "lag", label: "Lag", numeric: true, format: fmt.number },
          { key: "events_per_second", label: "Events/s", numeric: true, format: fmt.number },
          { key: "parked", label: "Parked", numeric: true, format: fmt.number },
          { key: "restarts", label: "Restarts", numeric: true, format: fmt.number },
          { key: "last_error", label: "Last error", format: (v) => v || "–" },
          { key: "owner", label: "Owner" },
          { key: "updated_at", label: "Updated", format: fmt.dateTime },
        ],
      });
      processBody.replaceChildren();
      table(processBody, {
        id: "processes",
        caption: "The processes that project, and what each owns",
        rows: body.processes.map((p) => ({ ...p, __key: p.owner })),
        columns: [
          { key: "owner", label: "Process" },
          { key: "owns", label: "Owns", format: (v) => v.join(", ") || "–" },
          { key: "waits", label: "Stands by for", format: (v) => v.join(", ") || "–" },
          { key: "started_at", label: "Started", format: fmt.dateTime },
          { key: "updated_at", label: "Updated", format: fmt.dateTime },
        ],
        empty: "No projector process has reported (ledger serve projects in process).",
      });
      updated.textContent = `Last read ${fmt.dateTime(new Date().toISOString())}.`;
      updated.dataset.reads = String(Number(updated.dataset.reads || 0) + 1);
    };
    await draw();
    let busy = false;
    const timer = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        await draw();
      } catch (e) {
        updated.textContent = `Cannot read the projections now: ${e.message}`;
      } finally {
        busy = false;
      }
    }, EVERY_MS);
    ctx.onLeave(() => clearInterval(timer));
  },
};
