// Stock: levels by location (quarantined, reserved, available, on order, value), what is below
// its reorder point and what to buy, and one product's stock ledger as a step chart.

import { chart, COLOURS, figure, num, timeAxis } from "../charts.js";
import { badge, commandForm, el, filters, newId, section, table } from "../ui.js";

const state = { location: "", sku: "", belowOnly: "" };

/** The columns of purchase suggestions (Stock shows one location's, Purchasing every one's). */
export function suggestionColumns(fmt, { withLocation = false } = {}) {
  return [
    { key: "sku", label: "Product" },
    withLocation ? { key: "location_id", label: "Location" } : null,
    { key: "available", label: "Available", numeric: true, format: fmt.number },
    { key: "on_order", label: "On order", numeric: true, format: fmt.number },
    { key: "projected", label: "Projected", numeric: true, format: fmt.number },
    { key: "reorder_point", label: "Reorder point", numeric: true, format: fmt.number },
    { key: "reorder_qty", label: "Reorder qty", numeric: true, format: fmt.number },
    { key: "suggested_qty", label: "Suggested", numeric: true, format: fmt.number },
    { key: "supplier_id", label: "Last supplier", format: (v) => v || "–" },
  ].filter(Boolean);
}

export const page = {
  id: "stock",
  title: "Stock",
  async render(ctx) {
    const { api, fmt } = ctx;
    const all = await api.all("/v1/inventory");
    const locations = [...new Set(all.map((r) => r.location_id))].sort();
    state.location ||= locations[0] || "";
    const skus = [...new Set(all.filter((r) => r.location_id === state.location).map((r) => r.sku))].sort();
    if (!skus.includes(state.sku)) state.sku = skus[0] || "";
    if (!all.length) {
      ctx.main.append(el("p", { class: "empty", text: "No stock is recorded yet: receive some below, or load the demo history (ledger demo)." }));
    }
    filters(
      ctx.main,
      ctx,
      state,
      [
        { name: "location", label: "Location", type: "select", options: locations.map((l) => [l, l]) },
        { name: "belowOnly", label: "Show", type: "select", options: [["", "every product"], ["true", "below reorder point only"]] },
      ],
    );
    const [levels, valuation, suggestions] = await Promise.all([
      api.all("/v1/inventory", { location_id: state.location, below_reorder: state.belowOnly || undefined }),
      api.get("/v1/inventory/valuation", { location_id: state.location }),
      api.all("/v1/purchasing/suggestions", { location_id: state.location }),
    ]);
    const suggested = new Map(suggestions.map((s) => [s.sku, s]));

    ctx.main.append(
      el(
        "div",
        { class: "kpis" },
        el("div", { class: "kpi", id: "kpi-value" }, el("span", { class: "label", text: `Stock value at ${state.location}` }), el("span", { class: "value", dataset: { value: valuation.total_value }, text: fmt.money(valuation.total_value) })),
      ),
    );

    const levelsBody = section(ctx.main, {
      id: "levels",
      title: `Levels at ${state.location}`,
      intro: "On hand = available + reserved + quarantined. Red rows are at or below their reorder point.",
    });
    const levelChart = chart(figure(levelsBody, { id: "stock-levels", title: "On hand by product", height: 320 }), {
      type: "bar",
      data: {
        labels: levels.map((r) => r.sku),
        datasets: [
          { label: "available", data: levels.map((r) => num(r.available)), backgroundColor: COLOURS.secondary, stack: "on hand" },
          { label: "reserved", data: levels.map((r) => num(r.reserved)), backgroundColor: COLOURS.primary, stack: "on hand" },
          { label: "quarantined", data: levels.map((r) => num(r.quarantined)), backgroundColor: COLOURS.warn, stack: "on hand" },
          { label: "on order", data: levels.map((r) => num(r.on_order)), backgroundColor: COLOURS.muted, stack: "on order" },
          { type: "line", label: "reorder point", data: levels.map((r) => num(r.reorder_point)), borderColor: COLOURS.bad, backgroundColor: COLOURS.bad, showLine: false, pointStyle: "line", pointRadius: 10, pointBorderWidth: 3 },
        ],
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: "units" } } } },
    });
    levelChart.canvas.dataset.rows = String(levels.length);
    table(levelsBody, {
      id: "levels",
      caption: `Stock at ${state.location}, by product`,
      rows: levels.map((r) => ({ ...r, suggested_qty: suggested.get(r.sku)?.suggested_qty ?? null, __key: `${r.sku}@${r.location_id}` })),
      rowClass: (r) => (r.below_reorder ? "alert" : r.suggested_qty ? "warn" : null),
      columns: [
        { key: "sku", label: "Product" },
        { key: "on_hand", label: "On hand", numeric: true, format: fmt.number },
        { key: "quarantined", label: "Quarantined", numeric: true, format: fmt.number },
        { key: "reserved", label: "Reserved", numeric: true, format: fmt.number },
        { key: "available", label: "Available", numeric: true, format: fmt.number },
        { key: "on_order", label: "On order", numeric: true, format: fmt.number },
        { key: "projected", label: "Projected", numeric: true, format: fmt.number },
        { key: "reorder_point", label: "Reorder point", numeric: true, format: fmt.number },
        { key: "below_reorder", label: "Below", format: (v) => (v ? badge("below", "bad") : "") },
        { key: "suggested_qty", label: "Suggested buy", numeric: true, format: (v) => (v ? badge(fmt.number(v), "warn") : "") },
        { key: "unit_cost", label: "Unit cost", numeric: true, format: fmt.money },
        { key: "value", label: "Value", numeric: true, format: fmt.money },
      ],
    });

    const suggestionsBody = section(ctx.main, {
      id: "suggestions",
      title: "Purchase suggestions",
      intro: "Where projected stock (available + on order) is at or below the reorder point: the smallest multiple of the reorder quantity that lifts it above.",
    });
    table(suggestionsBody, {
      id: "suggestions",
      caption: `Suggestions for ${state.location}`,
      rows: suggestions.map((s) => ({ ...s, __key: `${s.sku}@${s.location_id}` })),
      columns: suggestionColumns(fmt),
      empty: "Nothing to reorder here.",
    });

    const ledgerBody = section(ctx.main, { id: "ledger", title: "Stock ledger", intro: "Every movement of one product at this location, and what was on hand after it." });
    filters(
      ledgerBody,
      ctx,
      state,
      [{ name: "sku", label: "Product", type: "select", options: skus.map((s) => [s, s]) }],
    );
    const movements = state.sku
      ? await api.all(`/v1/inventory/${encodeURIComponent(state.sku)}/movements`, { location_id: state.location }, 5000)
      : [];
    if (movements.length) {
      const ledgerChart = chart(figure(ledgerBody, { id: "stock-ledger", title: `${state.sku} at ${state.location}: on hand after each movement`, height: 280 }), {
        type: "line",
        data: {
          datasets: [
            {
              label: "on hand",
              data: movements.map((m) => ({ x: Date.parse(m.occurred_at), y: num(m.on_hand_after) })),
              stepped: "before",
              borderColor: COLOURS.primary,
              backgroundColor: COLOURS.primary,
              pointRadius: 0,
            },
          ],
        },
        options: {
          parsing: false,
          scales: { x: timeAxis(fmt), y: { beginAtZero: true, title: { display: true, text: "units" } } },
          plugins: {
            legend: { display: false },
            tooltip: { callbacks: { title: (items) => fmt.dateTime(new Date(items[0].parsed.x).toISOString()) } },
          },
        },
      });
      ledgerChart.canvas.dataset.rows = String(movements.length);
    }
    const recent = movements.slice(-25).reverse();
    table(ledgerBody, {
      id: "movements",
      caption: "The latest movements (at most 25), newest first; the chart shows them all",
      rows: recent.map((m) => ({ ...m, __key: m.event_id })),
      columns: [
        { key: "occurred_at", label: "When", format: fmt.dateTime },
        { key: "type", label: "Movement" },
        { key: "qty_change", label: "Qty", numeric: true, format: fmt.number },
        { key: "reserved_change", label: "Reserved", numeric: true, format: fmt.number },
        { key: "quarantined_change", label: "Quarantined", numeric: true, format: fmt.number },
        { key: "on_hand_after", label: "On hand after", numeric: true, format: fmt.number },
        { key: "value_after", label: "Value after", numeric: true, format: fmt.money },
        { key: "document_id", label: "Document" },
      ],
      empty: "No movements of this product here.",
    });

    const forms = section(ctx.main, { id: "record", title: "Record", intro: "What you record here is in the figures above as soon as it is accepted." });
    commandForm(forms, ctx, {
      id: "count-stock",
      title: "Count stock (adjust to what was counted)",
      command: "adjust-stock",
      scope: "inventory:write",
      fields: [
        { name: "adjustment_id", label: "Adjustment id", required: true, value: newId("ADJ") },
        { name: "sku", label: "Product", required: true, value: state.sku },
        { name: "location_id", label: "Location", required: true, value: state.location },
        { name: "counted_qty", label: "Counted quantity", type: "number", required: true, min: "0" },
        { name: "reason", label: "Reason", required: true, value: "cycle count" },
      ],
    });
    commandForm(forms, ctx, {
      id: "receive-stock",
      title: "Receive stock",
      command: "receive-stock",
      scope: "inventory:write",
      fields: [
        { name: "receipt_id", label: "Receipt id", required: true, value: newId("GRN") },
        { name: "sku", label: "Product", required: true, value: state.sku },
        { name: "location_id", label: "Location", required: true, value: state.location },
        { name: "qty", label: "Quantity", type: "number", required: true, min: "0" },
        { name: "unit_cost", label: `Unit cost (${fmt.currency})`, type: "number" },
        { name: "lot_id", label: "Lot" },
        { name: "supplier_id", label: "Supplier" },
      ],
    });
  },
};
