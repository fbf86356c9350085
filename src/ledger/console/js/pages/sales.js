// Sales: attainment against the targets (shipped and booked, with the pace marker), the daily
// series, and fulfilment (OTIF) by channel. Every figure is the API's; the page only picks the
// period and the windows, and compares pace_pct with 100 to mark what is behind.

import { chart, COLOURS, figure, num } from "../charts.js";
import { daysBefore } from "../format.js";
import { badge, commandForm, el, filters, section, table } from "../ui.js";

const DIMENSIONS = ["total", "channel", "team", "category"];
const state = { period: "", dimension: "team" };

/** This month, the one before, this quarter and this year, as the API names periods. */
export function periods(today) {
  const year = Number(today.slice(0, 4));
  const month = Number(today.slice(5, 7));
  const pad = (n) => String(n).padStart(2, "0");
  const previous = month === 1 ? `${year - 1}-12` : `${year}-${pad(month - 1)}`;
  return [
    [`${year}-${pad(month)}`, `this month (${year}-${pad(month)})`],
    [previous, `previous month (${previous})`],
    [`${year}-Q${Math.ceil(month / 3)}`, `this quarter (${year}-Q${Math.ceil(month / 3)})`],
    [String(year), `this year (${year})`],
  ];
}

// The target's mark spans about a bar pair, narrower on a phone.
const markerWidth = (context) => (context.chart.width < 600 ? 10 : 24);

// A period below pace is a comparison of the API's own figure with 100, not a computed one.
const behind = (row) => row.pace_pct !== null && row.pace_pct !== undefined && Number(row.pace_pct) < 100;

export const page = {
  id: "sales",
  title: "Sales",
  async render(ctx) {
    const { api, fmt } = ctx;
    const today = fmt.today();
    const choices = periods(today);
    state.period ||= choices[0][0];
    filters(
      ctx.main,
      ctx,
      state,
      [
        { name: "period", label: "Period", type: "select", options: choices },
        { name: "dimension", label: "By", type: "select", options: DIMENSIONS.map((d) => [d, d]) },
      ],
    );
    const query = { period: state.period, dimension: state.dimension };
    const [shipped, booked, daily, fulfilment] = await Promise.all([
      api.get("/v1/sales/attainment", { ...query, basis: "shipped" }),
      api.get("/v1/sales/attainment", { ...query, basis: "booked" }),
      api.get("/v1/sales/daily", { from: daysBefore(today, 29), to: daysBefore(today, -1) }),
      api.get("/v1/sales/fulfilment", { from: daysBefore(today, 60), dimension: "channel" }),
    ]);
    attainment(ctx, shipped.items, booked.items);
    dailySeries(ctx, daily.items);
    fulfilmentByChannel(ctx, fulfilment.items);
    targetForm(ctx, shipped.items);
  },
};

function attainment(ctx, shipped, booked) {
  const { fmt } = ctx;
  const byKey = new Map(shipped.map((r) => [r.key, r]));
  const bookedByKey = new Map(booked.map((r) => [r.key, r]));
  // A key may have booked sales and nothing shipped yet: show the keys of both answers.
  const keys = [...new Set([...byKey.keys(), ...bookedByKey.keys()])].sort();
  const rows = keys.map((key) => ({
    ...(byKey.get(key) || { key, target: null, actual: null, attainment_pct: null, expected_to_date: null, pace_pct: null, forecast: null }),
    booked: bookedByKey.get(key) || null,
    __key: key,
  }));
  const body = section(ctx.main, {
    id: "attainment",
    title: `Attainment, ${state.period}, by ${state.dimension}`,
    intro: "Shipped (less returns) and booked (placed less cancelled) against the target; the amber mark is where the target's pace says sales should be by now. Amber rows are behind pace.",
  });
  const c = chart(figure(body, { id: "sales-attainment", title: `Sales against target by ${state.dimension} (${fmt.currency})`, height: 320 }), {
    type: "bar",
    data: {
      labels: keys,
      datasets: [
        { label: "shipped", data: rows.map((r) => num(r.actual)), backgroundColor: COLOURS.primary, maxBarThickness: 48 },
        { label: "booked", data: rows.map((r) => num(r.booked?.actual)), backgroundColor: COLOURS.secondary, maxBarThickness: 48 },
        { type: "line", label: "target", data: rows.map((r) => num(r.target)), borderColor: COLOURS.target, backgroundColor: COLOURS.target, showLine: false, pointStyle: "line", pointRadius: markerWidth, pointHoverRadius: markerWidth, pointBorderWidth: 3 },
        { type: "line", label: "expected by now (pace)", data: rows.map((r) => num(r.expected_to_date)), borderColor: COLOURS.pace, backgroundColor: COLOURS.pace, showLine: false, pointStyle: "triangle", pointRadius: 7 },
      ],
    },
    options: {
      scales: { y: { beginAtZero: true, ticks: { callback: (v) => fmt.money(v) } } },
      plugins: { tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${fmt.money(item.raw)}` } } },
    },
  });
  c.canvas.dataset.rows = String(keys.length);
  const money = { numeric: true, format: fmt.money };
  const pct = { numeric: true, format: fmt.pct };
  table(body, {
    id: "attainment",
    caption: `Attainment in ${state.period} by ${state.dimension}: shipped basis, then booked`,
    rows,
    rowClass: (r) => (behind(r) ? "warn" : null),
    columns: [
      { key: "key", label: state.dimension === "total" ? "Total" : state.dimension },
      { key: "target", label: "Target", ...money },
      { key: "actual", label: "Shipped", ...money },
      { key: "attainment_pct", label: "Attained", ...pct },
      { key: "expected_to_date", label: "Expected by now", ...money },
      { key: "pace_pct", label: "Pace", numeric: true, format: (v, r) => (behind(r) ? badge(fmt.pct(v), "warn") : fmt.pct(v)) },
      { key: "forecast", label: "Forecast", ...money },
      { key: "booked_actual", label: "Booked", value: (r) => r.booked?.actual ?? null, ...money },
      { key: "booked_attainment_pct", label: "Booked attained", value: (r) => r.booked?.attainment_pct ?? null, ...pct },
    ],
    empty: `No targets and no sales in ${state.period}.`,
  });
}

function dailySeries(ctx, days) {
  const { fmt } = ctx;
  const body = section(ctx.main, { id: "daily", title: "Daily sales, the last 30 days", intro: "Booked by the day of the order, shipped and returned by the day they happened; net is shipped less returned." });
  const series = [
    ["booked", COLOURS.secondary],
    ["shipped", COLOURS.primary],
    ["returned", COLOURS.bad],
    ["net", COLOURS.target],
  ];
  const c = chart(figure(body, { id: "sales-daily", title: `Sales per day (${fmt.currency})`, height: 280 }), {
    type: "line",
    data: {
      labels: days.map((d) => d.day),
      datasets: series.map(([key, colour]) => ({ label: key, data: days.map((d) => num(d[key])), borderColor: colour, backgroundColor: colour, pointRadius: 2, borderWidth: key === "net" ? 2.5 : 1.5 })),
    },
    options: {
      scales: {
        x: { ticks: { callback(value) { return fmt.day(this.getLabelForValue(value)); }, maxTicksLimit: 10 } },
        y: { beginAtZero: true, ticks: { callback: (v) => fmt.money(v) } },
      },
      plugins: { tooltip: { callbacks: { title: (items) => fmt.day(items[0].label), label: (item) => `${item.dataset.label}: ${fmt.money(item.raw)}` } } },
    },
  });
  c.canvas.dataset.rows = String(days.length);
  // Thirty rows would push fulfilment off the screen: the exact figures are one click away.
  const figures = el("details", { class: "figures" }, el("summary", { text: "The figures, day by day" }));
  body.append(figures);
  table(figures, {
    id: "daily",
    caption: "Sales per day, newest first",
    rows: [...days].reverse().map((d) => ({ ...d, __key: d.day })),
    columns: [
      { key: "day", label: "Day", format: fmt.day },
      ...series.map(([key]) => ({ key, label: key[0].toUpperCase() + key.slice(1), numeric: true, format: fmt.money })),
    ],
  });
}

function fulfilmentByChannel(ctx, items) {
  const { fmt } = ctx;
  const body = section(ctx.main, { id: "fulfilment", title: "Fulfilment by channel, the last 60 days", intro: "Orders promised in the window: delivered on time, shipped in full, and both (OTIF)." });
  const bars = [
    ["on_time_pct", "on time", COLOURS.secondary],
    ["in_full_pct", "in full", COLOURS.primary],
    ["otif_pct", "OTIF", COLOURS.good],
  ];
  if (!items.length) {
    body.append(el("p", { class: "empty", dataset: { table: "fulfilment" }, text: "No order was promised in the last 60 days." }));
    return;
  }
  const c = chart(figure(body, { id: "sales-fulfilment", title: "On time, in full, OTIF (%)", height: 260 }), {
    type: "bar",
    data: {
      labels: items.map((r) => r.key),
      datasets: bars.map(([key, label, colour]) => ({ label, data: items.map((r) => num(r[key])), backgroundColor: colour, maxBarThickness: 56 })),
    },
    options: { scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: "%" } } } },
  });
  c.canvas.dataset.rows = String(items.length);
  table(body, {
    id: "fulfilment",
    caption: "Fulfilment of the orders promised in the last 60 days, by channel",
    rows: items.map((r) => ({ ...r, __key: r.key })),
    columns: [
      { key: "key", label: "Channel" },
      { key: "orders", label: "Orders", numeric: true, format: fmt.number },
      ...bars.map(([key, label]) => ({ key, label: label[0].toUpperCase() + label.slice(1), numeric: true, format: fmt.pct })),
      { key: "mean_days_to_ship", label: "Mean days to ship", numeric: true, format: fmt.number },
    ],
  });
}

function targetForm(ctx, items) {
  const forms = section(ctx.main, { id: "record", title: "Record", intro: "A target set here replaces the earlier one for the same period, dimension and key." });
  commandForm(forms, ctx, {
    id: "set-sales-target",
    title: "Set a sales target",
    command: "set-sales-target",
    scope: "planning:write",
    submit: "Set target",
    fields: [
      { name: "period", label: "Period", required: true, value: state.period, hint: "A month (2026-11), a quarter (2026-Q4) or a year (2026)." },
      { name: "dimension", label: "Dimension", type: "select", required: true, value: state.dimension, options: DIMENSIONS.map((d) => [d, d]) },
      { name: "key", label: "Key", required: true, value: state.dimension === "total" ? "*" : items[0]?.key, hint: "* for the total; a channel, team id or category otherwise." },
      { name: "amount", label: `Amount (${ctx.fmt.currency})`, type: "number", required: true, min: "0" },
    ],
  });
}
