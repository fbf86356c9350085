// Campaigns: each campaign's budget and spend, what it brought (leads, orders, revenue, ROAS),
// and the sales funnel by campaign or channel. Every figure is the API's; the page compares
// budget_used_pct with 100 only to mark an overspent campaign.

import { chart, COLOURS, figure, num } from "../charts.js";
import { badge, commandForm, el, filters, newId, section, table } from "../ui.js";

const state = { dimension: "campaign" };

const overspent = (c) => c.budget_used_pct !== null && Number(c.budget_used_pct) > 100;

export const page = {
  id: "campaigns",
  title: "Campaigns",
  async render(ctx) {
    const { api } = ctx;
    const [campaigns, funnel] = await Promise.all([
      api.all("/v1/marketing/campaigns"),
      api.all("/v1/sales/funnel", { dimension: state.dimension }),
    ]);
    spendAndReturn(ctx, campaigns);
    salesFunnel(ctx, funnel);
    spendForm(ctx, campaigns);
  },
};

function spendAndReturn(ctx, campaigns) {
  const { fmt } = ctx;
  const body = section(ctx.main, {
    id: "campaigns",
    title: "Spend and return",
    intro: "Budget and spend of every campaign; revenue is its orders' booked amount less cancellations, ROAS that revenue per unit of spend. Red rows have spent more than their budget.",
  });
  if (campaigns.length) {
    const c = chart(figure(body, { id: "campaign-spend", title: `Budget and spend by campaign (${fmt.currency})`, height: 280 }), {
      type: "bar",
      data: {
        labels: campaigns.map((r) => r.campaign_id),
        datasets: [
          { label: "budget", data: campaigns.map((r) => num(r.budget)), backgroundColor: COLOURS.muted, maxBarThickness: 48 },
          { label: "spend", data: campaigns.map((r) => num(r.spend)), backgroundColor: COLOURS.primary, maxBarThickness: 48 },
        ],
      },
      options: {
        scales: { y: { beginAtZero: true, ticks: { callback: (v) => fmt.money(v) } } },
        plugins: { tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${fmt.money(item.raw)}` } } },
      },
    });
    c.canvas.dataset.rows = String(campaigns.length);
  }
  const count = { numeric: true, format: fmt.number };
  table(body, {
    id: "campaigns",
    caption: "Every campaign, with what it cost and what it brought",
    rows: campaigns.map((r) => ({ ...r, __key: r.campaign_id })),
    rowClass: (r) => (overspent(r) ? "alert" : null),
    columns: [
      { key: "campaign_id", label: "Campaign" },
      { key: "name", label: "Name", cls: () => "wrap" },
      { key: "medium", label: "Medium" },
      { key: "starts_on", label: "Starts", format: fmt.day },
      { key: "ends_on", label: "Ends", format: fmt.day },
      { key: "budget", label: "Budget", numeric: true, format: fmt.money },
      { key: "spend", label: "Spend", numeric: true, format: fmt.money },
      { key: "budget_used_pct", label: "Budget used", numeric: true, format: (v, r) => (overspent(r) ? badge(fmt.pct(v), "bad") : fmt.pct(v)) },
      { key: "leads", label: "Leads", ...count },
      { key: "qualified", label: "Qualified", ...count },
      { key: "won", label: "Won", ...count },
      { key: "orders", label: "Orders", ...count },
      { key: "revenue", label: "Revenue", numeric: true, format: fmt.money },
      { key: "cost_per_lead", label: "Cost per lead", numeric: true, format: fmt.money },
      // A ratio as the API writes it (2 places): revenue per unit of spend.
      { key: "roas", label: "ROAS", numeric: true, format: (v) => (v === null ? "–" : `${v} ×`) },
    ],
    empty: "No campaign has been launched.",
  });
}

function salesFunnel(ctx, funnel) {
  const { fmt } = ctx;
  const body = section(ctx.main, {
    id: "funnel",
    title: "Sales funnel",
    intro: "Leads captured, and how far they got: won, lost, or still open. Conversion is won per lead captured.",
  });
  filters(
    body,
    ctx,
    state,
    [{ name: "dimension", label: "By", type: "select", options: [["campaign", "campaign"], ["channel", "channel"]] }],
  );
  if (funnel.length) {
    const stages = [
      ["won", COLOURS.good],
      ["lost", COLOURS.bad],
      ["open", COLOURS.muted],
    ];
    const c = chart(figure(body, { id: "sales-funnel", title: `Leads by ${state.dimension}: won, lost, open`, height: 280 }), {
      type: "bar",
      data: {
        labels: funnel.map((r) => r.key),
        datasets: stages.map(([key, colour]) => ({ label: key, data: funnel.map((r) => r[key]), backgroundColor: colour, maxBarThickness: 56 })),
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "leads" } } } },
    });
    c.canvas.dataset.rows = String(funnel.length);
  }
  const count = { numeric: true, format: fmt.number };
  table(body, {
    id: "funnel",
    caption: `The funnel by ${state.dimension}`,
    rows: funnel.map((r) => ({ ...r, __key: r.key })),
    columns: [
      { key: "key", label: state.dimension === "campaign" ? "Campaign" : "Channel" },
      { key: "leads", label: "Leads", ...count },
      { key: "qualified", label: "Qualified", ...count },
      { key: "won", label: "Won", ...count },
      { key: "lost", label: "Lost", ...count },
      { key: "open", label: "Open", ...count },
      { key: "conversion_pct", label: "Conversion", numeric: true, format: fmt.pct },
    ],
    empty: "No lead has been captured.",
  });
}

function spendForm(ctx, campaigns) {
  const forms = section(ctx.main, { id: "record", title: "Record", intro: "Spend recorded here is in the figures above as soon as it is accepted." });
  commandForm(forms, ctx, {
    id: "record-campaign-spend",
    title: "Record campaign spend",
    command: "record-campaign-spend",
    scope: "marketing:write",
    fields: [
      { name: "campaign_id", label: "Campaign", type: "select", required: true, options: campaigns.map((c) => [c.campaign_id, `${c.campaign_id}: ${c.name}`]) },
      { name: "spend_id", label: "Spend id", required: true, value: newId("SPEND"), hint: "Unique within the campaign: the same id twice is refused." },
      { name: "amount", label: `Amount (${ctx.fmt.currency})`, type: "number", required: true, min: "0" },
      { name: "note", label: "Note" },
    ],
  });
}
