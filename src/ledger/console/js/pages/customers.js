// Customers: satisfaction (CSAT and NPS) per month or quarter, retention in a period, one
// customer's standing looked up by id, and follow-ups recorded from the page. Every figure is
// the API's; an unknown customer shows the API's own answer.

import { ApiError } from "../api.js";
import { chart, COLOURS, figure, num } from "../charts.js";
import { commandForm, el, filters, newId, section, table } from "../ui.js";
import { periods } from "./sales.js";

const state = { bucket: "month", period: "", customer: "" };
const KINDS = ["call", "visit", "email", "survey"];
const RETENTION = [
  ["active", "Active customers", "ordered in the period"],
  ["new", "New", "first order in the period"],
  ["returning", "Returning", "ordered before and in the period"],
  ["lapsed", "Lapsed", "ordered in the period before, not in this one"],
  ["repeat_rate_pct", "Repeat rate", "returning of active"],
];

export const page = {
  id: "customers",
  title: "Customers",
  async render(ctx) {
    const { api, fmt } = ctx;
    const choices = periods(fmt.today());
    state.period ||= choices[0][0];
    filters(
      ctx.main,
      ctx,
      state,
      [
        { name: "bucket", label: "Satisfaction by", type: "select", options: [["month", "month"], ["quarter", "quarter"]] },
        { name: "period", label: "Retention in", type: "select", options: choices },
      ],
    );
    const [satisfaction, retention] = await Promise.all([
      api.get("/v1/customers/satisfaction", { bucket: state.bucket }),
      api.get("/v1/customers/retention", { period: state.period }),
    ]);
    retentionTiles(ctx, retention);
    satisfactionSeries(ctx, satisfaction.items);
    await lookup(ctx);
    followUpForm(ctx);
  },
};

function retentionTiles(ctx, retention) {
  const { fmt } = ctx;
  const body = section(ctx.main, { id: "retention", title: `Retention in ${retention.period}`, intro: "A customer is active in a period when it placed an order there that was not cancelled in full." });
  body.append(
    el(
      "div",
      { class: "kpis" },
      RETENTION.map(([key, label, hint]) =>
        el(
          "div",
          { class: "kpi", id: `kpi-${key}`, title: hint },
          el("span", { class: "label", text: label }),
          el("span", { class: "value", dataset: { value: retention[key] ?? "" }, text: key.endsWith("_pct") ? fmt.pct(retention[key]) : fmt.number(retention[key]) }),
        ),
      ),
    ),
  );
}

function satisfactionSeries(ctx, buckets) {
  const { fmt } = ctx;
  const body = section(ctx.main, {
    id: "satisfaction",
    title: `Satisfaction by ${state.bucket}`,
    intro: "Follow-ups that gave a CSAT (1 to 5) or an NPS answer (0 to 10). NPS is the promoters' share less the detractors'.",
  });
  const label = (value) => (state.bucket === "quarter" ? `${fmt.date(value)} (quarter)` : fmt.date(value));
  if (buckets.length) {
    const c = chart(figure(body, { id: "customer-satisfaction", title: "CSAT average (left) and NPS (right)", height: 280 }), {
      type: "line",
      data: {
        labels: buckets.map((b) => b.bucket),
        datasets: [
          { label: "CSAT average", data: buckets.map((b) => num(b.csat_avg)), yAxisID: "y", borderColor: COLOURS.primary, backgroundColor: COLOURS.primary, pointRadius: 4 },
          { label: "NPS", data: buckets.map((b) => num(b.nps)), yAxisID: "y1", borderColor: COLOURS.pace, backgroundColor: COLOURS.pace, pointRadius: 4, borderDash: [6, 4] },
        ],
      },
      options: {
        scales: {
          x: { offset: true, ticks: { callback(value) { return fmt.date(this.getLabelForValue(value)); } } },
          y: { position: "left", min: 1, max: 5, title: { display: true, text: "CSAT (1–5)" } },
          y1: { position: "right", min: -100, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "NPS" } },
        },
        plugins: { tooltip: { callbacks: { title: (items) => label(items[0].label) } } },
      },
    });
    c.canvas.dataset.rows = String(buckets.length);
  }
  table(body, {
    id: "satisfaction",
    caption: `Satisfaction by ${state.bucket}, from the first bucket with an answer`,
    rows: buckets.map((b) => ({ ...b, __key: b.bucket })),
    columns: [
      { key: "bucket", label: state.bucket === "quarter" ? "Quarter from" : "Month from", format: fmt.date },
      { key: "responses", label: "Responses", numeric: true, format: fmt.number },
      { key: "csat_avg", label: "CSAT average", numeric: true, format: (v) => v ?? "–" },
      { key: "csat_pct", label: "CSAT 4–5", numeric: true, format: fmt.pct },
      { key: "nps", label: "NPS", numeric: true, format: (v) => v ?? "–" },
      { key: "after_complaint_csat_avg", label: "CSAT after a complaint", numeric: true, format: (v) => v ?? "–" },
    ],
    empty: "No follow-up has a CSAT or NPS answer yet.",
  });
}

/** A customer looked up by id: its standing as a small card, or the API's reason it has none. */
async function lookup(ctx) {
  const { api, fmt } = ctx;
  const body = section(ctx.main, { id: "customer", title: "Customer", intro: "One customer's orders, revenue, complaints and satisfaction." });
  const input = el("input", { id: "customer-id", name: "customer_id", value: state.customer, required: true, autocomplete: "off", spellcheck: "false" });
  const card = el("div", { id: "customer-card", "aria-live": "polite" });
  const show = async () => {
    if (!state.customer) return;
    try {
      const c = await api.get(`/v1/customers/${encodeURIComponent(state.customer)}`);
      const facts = [
        ["segment", "Segment", (v) => v || "–"],
        ["orders", "Orders", fmt.number],
        ["net_revenue", "Net revenue", fmt.money],
        ["first_order_at", "First order", fmt.dateTime],
        ["last_order_at", "Last order", fmt.dateTime],
        ["complaints", "Complaints", fmt.number],
        ["open_complaints", "Open complaints", fmt.number],
        ["last_follow_up_at", "Last follow-up", fmt.dateTime],
        ["csat_avg", "CSAT average", (v) => v ?? "–"],
      ];
      card.replaceChildren(
        el("h3", { text: c.customer_id }),
        el("dl", { class: "facts" }, facts.flatMap(([key, label, format]) => [el("dt", { text: label }), el("dd", { dataset: { key, value: c[key] ?? "" }, text: format(c[key]) })])),
      );
      // A follow-up is most often about the customer just looked up.
      const followUpFor = ctx.main.querySelector("#record-follow-up-customer_id");
      if (followUpFor) followUpFor.value = c.customer_id;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      card.replaceChildren(el("p", { class: "result bad", text: e.describe() }));
    }
    card.dataset.shown = state.customer;
  };
  const form = el(
    "form",
    { class: "filters lookup" },
    el("label", { for: "customer-id", text: "Customer id" }),
    input,
    el("button", { type: "submit", text: "Look up" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    state.customer = input.value.trim();
    await show();
  });
  body.append(form, card);
  await show();
}

function followUpForm(ctx) {
  const forms = section(ctx.main, { id: "record", title: "Record", intro: "A follow-up with a CSAT or NPS answer counts in the satisfaction above as soon as it is accepted." });
  commandForm(forms, ctx, {
    id: "record-follow-up",
    title: "Record a follow-up",
    command: "record-follow-up",
    scope: "customers:write",
    fields: [
      { name: "follow_up_id", label: "Follow-up id", required: true, value: newId("FU") },
      { name: "customer_id", label: "Customer id", required: true, value: state.customer },
      { name: "kind", label: "Kind", type: "select", required: true, value: "call", options: KINDS.map((k) => [k, k]) },
      { name: "csat", label: "CSAT (1–5)", type: "integer", min: "1" },
      { name: "nps", label: "NPS answer (0–10)", type: "integer", min: "0" },
      { name: "note", label: "Note", type: "textarea" },
    ],
  });
}
