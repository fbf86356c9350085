// Purchasing: the open purchase orders with what is left to receive on each line (overdue ones
// marked), the suppliers' delivery and quality over the last 90 days, what to buy, and a form
// that receives stock against an open PO line.

import { chart, COLOURS, figure, num } from "../charts.js";
import { daysBefore } from "../format.js";
import { badge, commandForm, el, filters, newId, section, table } from "../ui.js";
import { suggestionColumns } from "./stock.js";

const state = { overdue: "" };
const SCORECARD_DAYS = 90;

const lineKey = (po, line) => `${po.po_id}#${line.line_no}`;

/** Overdue first, then the earliest expected: what to chase first. */
function byUrgency(a, b) {
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
  return Date.parse(a.expected_at) - Date.parse(b.expected_at) || a.po_id.localeCompare(b.po_id);
}

/** A PO's lines, one a row of the cell: what was ordered, received, cancelled and is open. */
function linesList(fmt, lines) {
  return el(
    "ul",
    { class: "po-lines" },
    lines.map((l) =>
      el(
        "li",
        { dataset: { line: String(l.line_no), open: l.open, received: l.received } },
        el("strong", { text: `${l.line_no}. ${l.sku}` }),
        ` ${fmt.number(l.ordered)} ordered · ${fmt.number(l.received)} received · ${fmt.number(l.cancelled)} cancelled · `,
        el("strong", { text: `${fmt.number(l.open)} open` }),
      ),
    ),
  );
}

export const page = {
  id: "purchasing",
  title: "Purchasing",
  async render(ctx) {
    const { api, fmt } = ctx;
    const since = daysBefore(fmt.today(), SCORECARD_DAYS);
    const [open, scorecard, suggestions] = await Promise.all([
      api.all("/v1/purchasing/orders", { status: "open", overdue: state.overdue || undefined }),
      api.all("/v1/suppliers/scorecard", { from: since }),
      api.all("/v1/purchasing/suggestions"),
    ]);
    const orders = [...open].sort(byUrgency);

    const ordersBody = section(ctx.main, {
      id: "purchase-orders",
      title: "Open purchase orders",
      intro: `What is still to be received, overdue first, then by expected time (${fmt.timezone}). Red rows are overdue: open quantity left after the expected time.`,
    });
    filters(
      ordersBody,
      ctx,
      state,
      [{ name: "overdue", label: "Show", type: "select", options: [["", "every open order"], ["true", "overdue only"]] }],
    );
    table(ordersBody, {
      id: "purchase-orders",
      caption: `Open purchase orders${state.overdue ? ", overdue only" : ", overdue ones first"}`,
      rows: orders.map((po) => ({ ...po, __key: po.po_id })),
      rowClass: (po) => (po.overdue ? "alert" : null),
      columns: [
        { key: "po_id", label: "PO" },
        { key: "supplier_id", label: "Supplier" },
        { key: "deliver_to", label: "Deliver to" },
        { key: "expected_at", label: "Expected", format: fmt.dateTime },
        { key: "overdue", label: "Overdue", format: (v) => (v ? badge("overdue", "bad") : "") },
        { key: "amount", label: "Amount", numeric: true, format: fmt.money },
        { key: "lines", label: "Lines", format: (v) => linesList(fmt, v) },
      ],
      empty: state.overdue ? "No purchase order is overdue." : "No purchase order is open.",
    });
    const receivable = orders.flatMap((po) => po.lines.filter((l) => num(l.open) > 0).map((l) => ({ po, line: l })));
    const byKey = new Map(receivable.map((r) => [lineKey(r.po, r.line), r]));
    commandForm(ordersBody, ctx, {
      id: "receive-po-line",
      title: "Receive against a PO line",
      command: "receive-stock",
      scope: "inventory:write",
      fields: [
        {
          name: "line",
          label: "PO line",
          type: "select",
          required: true,
          options: receivable.map(({ po, line }) => [lineKey(po, line), `${po.po_id} line ${line.line_no}: ${line.sku} to ${po.deliver_to}, ${fmt.number(line.open)} open`]),
        },
        { name: "receipt_id", label: "Receipt id", required: true, value: newId("GRN") },
        { name: "qty", label: "Quantity", type: "number", required: true, min: "0" },
        { name: "lot_id", label: "Lot" },
      ],
      // The sku and location are the line's; the supplier and unit cost come from the PO.
      build: ({ line, ...rest }) => {
        const chosen = byKey.get(line);
        if (!chosen) return rest;
        return { ...rest, po_id: chosen.po.po_id, po_line: chosen.line.line_no, sku: chosen.line.sku, location_id: chosen.po.deliver_to };
      },
      submit: "Receive",
    });

    const scoreBody = section(ctx.main, {
      id: "supplier-scorecard",
      title: "Supplier scorecard",
      intro: `PO lines expected since ${fmt.day(since)} (${SCORECARD_DAYS} days): on time, in full and both; and the incoming inspections of their lots.`,
    });
    chart(figure(scoreBody, { id: "supplier-scorecard", title: "Delivery by supplier (%)", height: 280 }), {
      type: "bar",
      data: {
        labels: scorecard.map((s) => s.supplier_id),
        datasets: [
          { label: "on time %", data: scorecard.map((s) => num(s.on_time_pct)), backgroundColor: COLOURS.primary },
          { label: "in full %", data: scorecard.map((s) => num(s.in_full_pct)), backgroundColor: COLOURS.secondary },
          { label: "OTIF %", data: scorecard.map((s) => num(s.otif_pct)), backgroundColor: COLOURS.pace },
        ],
      },
      options: { scales: { y: { min: 0, max: 100, title: { display: true, text: "% of PO lines" } } } },
    });
    table(scoreBody, {
      id: "suppliers",
      caption: "Per supplier",
      rows: scorecard.map((s) => ({ ...s, __key: s.supplier_id })),
      columns: [
        { key: "supplier_id", label: "Supplier" },
        { key: "lines", label: "Lines", numeric: true, format: fmt.number },
        { key: "on_time_pct", label: "On time", numeric: true, format: fmt.pct },
        { key: "in_full_pct", label: "In full", numeric: true, format: fmt.pct },
        { key: "otif_pct", label: "OTIF", numeric: true, format: fmt.pct },
        { key: "lead_time_days", label: "Lead time (days)", numeric: true, format: fmt.number },
        { key: "inspected_units", label: "Inspected", numeric: true, format: fmt.number },
        { key: "defective_units", label: "Defective", numeric: true, format: fmt.number },
        { key: "defect_rate", label: "Defect rate", numeric: true, format: fmt.rate },
        { key: "rejected_lots", label: "Rejected lots", numeric: true, format: fmt.number },
      ],
      empty: "No PO line was due in these days.",
    });

    const suggestionsBody = section(ctx.main, {
      id: "purchase-suggestions",
      title: "Purchase suggestions",
      intro: "Where projected stock (available + on order) is at or below the reorder point, at every location: the smallest multiple of the reorder quantity that lifts it above.",
    });
    table(suggestionsBody, {
      id: "purchase-suggestions",
      caption: "Every location's suggestions",
      rows: suggestions.map((s) => ({ ...s, __key: `${s.sku}@${s.location_id}` })),
      columns: suggestionColumns(fmt, { withLocation: true }),
      empty: "Nothing to reorder.",
    });
  },
};
