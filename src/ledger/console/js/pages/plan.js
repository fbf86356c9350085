// Plan scorecard: each objective of the plan with its KPI as the ledger measures it and its
// status, by horizon. Statuses are the API's; the page only colours them and formats each
// figure by what its KPI measures.

import { badge, commandForm, el, filters, newId, section, table } from "../ui.js";

const HORIZONS = [
  ["short", "Short term", "1 to 3 months"],
  ["medium", "Medium term", "3 to 12 months"],
  ["long", "Long term", "1 to 3 years"],
];
// How each status reads: its badge's colour and its row's.
const STATUS = {
  on_track: { text: "on track", kind: "ok", row: "good" },
  met: { text: "met", kind: "ok", row: "good" },
  off_track: { text: "off track", kind: "warn", row: "warn" },
  missed: { text: "missed", kind: "bad", row: "alert" },
};
// The KPIs API.md names, how their figures read, and which way is good.
const KPIS = {
  net_sales: { label: "Net sales", kind: "money", better: "↑" },
  sales_growth_pct: { label: "Sales growth", kind: "pct", better: "↑" },
  sla_compliance_pct: { label: "SLA compliance", kind: "pct", better: "↑" },
  defect_rate: { label: "Defect rate", kind: "rate", better: "↓" },
  supplier_otif_pct: { label: "Supplier OTIF", kind: "pct", better: "↑" },
  customer_otif_pct: { label: "Customer OTIF", kind: "pct", better: "↑" },
  csat_avg: { label: "CSAT (1–5)", kind: "score", better: "↑" },
  nps: { label: "NPS", kind: "score", better: "↑" },
  repeat_rate_pct: { label: "Repeat rate", kind: "pct", better: "↑" },
  campaign_roas: { label: "Campaign ROAS", kind: "ratio", better: "↑" },
  inventory_value: { label: "Inventory value", kind: "money", better: "↓" },
};

const state = { horizon: "" };

/** A KPI's figure as its kind reads: money with the currency, percentages; rates, ratios and
 * scores exactly as the API writes them (their places are part of the figure). */
function figureOf(fmt, kpi) {
  const kind = KPIS[kpi]?.kind;
  if (kind === "money") return fmt.money;
  if (kind === "pct") return fmt.pct;
  const suffix = kind === "ratio" ? " ×" : "";
  return (v) => (v === null || v === undefined ? "–" : `${v}${suffix}`);
}

const kpiLabel = (kpi) => (KPIS[kpi] ? `${KPIS[kpi].label} ${KPIS[kpi].better}` : kpi);
const statusBadge = (status) => badge(STATUS[status]?.text || status, STATUS[status]?.kind || "info");
const order = (horizon) => HORIZONS.findIndex(([h]) => h === horizon);
// Ids and periods sort by their characters, as the API pages them (not by the locale's rules).
const compare = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

export const page = {
  id: "plan",
  title: "Plan scorecard",
  async render(ctx) {
    const { api, fmt } = ctx;
    filters(
      ctx.main,
      ctx,
      state,
      [{ name: "horizon", label: "Horizon", type: "select", options: [["", "all"], ...HORIZONS.map(([h, label]) => [h, label.toLowerCase()])] }],
    );
    const items = await api.all("/v1/plans/scorecard", { horizon: state.horizon });
    const objectives = [...items].sort((a, b) => order(a.horizon) - order(b.horizon) || compare(a.period, b.period) || compare(a.objective_id, b.objective_id));
    ctx.main.append(
      el(
        "p",
        { class: "intro" },
        "Before its period ends an objective is ",
        statusBadge("on_track"),
        " or ",
        statusBadge("off_track"),
        " (net sales by its forecast, the others by the figure to date); after it, ",
        statusBadge("met"),
        " or ",
        statusBadge("missed"),
        ". ↑ or ↓: which way is good.",
      ),
    );

    for (const [horizon, title, span] of HORIZONS) {
      const mine = objectives.filter((o) => o.horizon === horizon);
      if (!mine.length) continue;
      const body = section(ctx.main, { id: `horizon-${horizon}`, title: `${title} (${span})` });
      body.append(el("div", { class: "objectives" }, mine.map((o) => tile(fmt, o))));
    }
    if (!objectives.length) ctx.main.append(el("p", { class: "empty", text: "The plan has no objectives yet." }));

    const tableBody = section(ctx.main, { id: "scorecard", title: "Every objective", intro: "Ordered by horizon, then period." });
    table(tableBody, {
      id: "scorecard",
      caption: "The plan's objectives, their KPI measured by the ledger, and their status",
      rows: objectives.map((o) => ({ ...o, __key: o.objective_id })),
      rowClass: (o) => `status-${o.status} ${STATUS[o.status]?.row || ""}`.trim(),
      columns: [
        { key: "objective_id", label: "Objective" },
        { key: "title", label: "Title", cls: () => "wrap" },
        { key: "horizon", label: "Horizon" },
        { key: "period", label: "Period" },
        { key: "kpi", label: "KPI", format: kpiLabel },
        { key: "target", label: "Target", numeric: true, format: (v, o) => figureOf(fmt, o.kpi)(v) },
        { key: "actual", label: "Actual", numeric: true, format: (v, o) => figureOf(fmt, o.kpi)(v) },
        { key: "status", label: "Status", format: statusBadge },
      ],
      empty: "No objectives for this horizon.",
    });

    const forms = section(ctx.main, { id: "record", title: "Record", intro: "An objective set again with the same id replaces the earlier one." });
    commandForm(forms, ctx, {
      id: "set-objective",
      title: "Set an objective",
      command: "set-objective",
      scope: "planning:write",
      submit: "Set objective",
      fields: [
        { name: "objective_id", label: "Objective id", required: true, value: newId("OBJ") },
        { name: "title", label: "Title", required: true },
        { name: "horizon", label: "Horizon", type: "select", required: true, value: state.horizon || "short", options: HORIZONS.map(([h, label]) => [h, label]) },
        { name: "period", label: "Period", required: true, value: fmt.today().slice(0, 7), hint: "A month (2026-11), a quarter (2026-Q4), a year (2026) or years (2026..2028)." },
        { name: "kpi", label: "KPI", type: "select", required: true, options: Object.keys(KPIS).map((k) => [k, kpiLabel(k)]) },
        { name: "target", label: "Target", type: "number", required: true, hint: `Money in ${fmt.currency}, percentages as 97.5, rates as 0.008.` },
        { name: "owner", label: "Owner" },
      ],
    });
  },
};

/** One objective at a glance: its actual, its target and its status, coloured by status. */
function tile(fmt, o) {
  const figure = figureOf(fmt, o.kpi);
  return el(
    "article",
    { class: `objective ${STATUS[o.status]?.kind || "info"}`, dataset: { objective: o.objective_id } },
    el("h3", { text: o.title }),
    el("p", { class: "value", dataset: { value: o.actual ?? "" }, text: figure(o.actual) }),
    el("p", { class: "meta" }, statusBadge(o.status), ` target ${figure(o.target)} · ${kpiLabel(o.kpi)} · ${o.period}`),
  );
}
