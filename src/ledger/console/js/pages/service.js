// Service: SLA compliance per severity, and the complaints not yet resolved with their clocks,
// breached ones first, each with the buttons that acknowledge or resolve it.

import { chart, COLOURS, figure, num } from "../charts.js";
import { badge, commandForm, el, newId, section, table } from "../ui.js";

const SEVERITY = { critical: "bad", high: "warn", medium: "info", low: "ok" };
const SEVERITY_COLOURS = { critical: COLOURS.bad, high: COLOURS.warn, medium: COLOURS.primary, low: COLOURS.secondary };
const CHANNELS = ["phone", "email", "chat", "store"];
const SCOPE = "service:write";

const breached = (c) => c.breached_response || c.breached_resolution;
const flag = (v) => (v ? badge("breached", "bad") : badge("within", "ok"));

/** Breached first, then the earliest resolution due: what needs a hand soonest. */
function byUrgency(a, b) {
  if (breached(a) !== breached(b)) return breached(a) ? -1 : 1;
  return Date.parse(a.resolution_due_at) - Date.parse(b.resolution_due_at) || a.complaint_id.localeCompare(b.complaint_id);
}

/** The acknowledge and resolve controls of one complaint; each write redraws the page. */
function actions(ctx, complaint, result) {
  const send = async (button, name, body) => {
    button.disabled = true;
    result.className = "result";
    result.textContent = `Sending ${name} for ${complaint.complaint_id}…`;
    try {
      await ctx.api.command(name, body);
      await ctx.refresh();
    } catch (error) {
      result.className = "result bad";
      result.textContent = `${complaint.complaint_id}: ${error.describe ? error.describe() : error}`;
      button.disabled = false;
    }
  };
  const cell = el("div", { class: "row-actions" });
  if (complaint.status === "open") {
    const ack = el("button", { type: "button", dataset: { action: "acknowledge" }, text: "Acknowledge" });
    ack.addEventListener("click", () => send(ack, "acknowledge-complaint", { complaint_id: complaint.complaint_id }));
    cell.append(ack);
  }
  // The resolution is asked for inline (a small form in the row), never in a prompt.
  const fid = `resolution-${complaint.complaint_id}`;
  const input = el("input", { id: fid, name: "resolution", required: true, placeholder: "what was done" });
  const submit = el("button", { type: "submit", text: "Send" });
  const form = el(
    "form",
    { class: "inline-form", hidden: true, dataset: { action: "resolve" } },
    el("label", { for: fid, class: "visually-hidden", text: `Resolution of ${complaint.complaint_id}` }),
    input,
    submit,
  );
  const resolve = el("button", { type: "button", class: "secondary", dataset: { action: "resolve" }, text: "Resolve…" });
  const cancel = el("button", { type: "button", class: "secondary", text: "Cancel" });
  form.append(cancel);
  const showForm = (shown) => {
    form.hidden = !shown;
    resolve.hidden = shown;
    (shown ? input : resolve).focus();
  };
  resolve.addEventListener("click", () => showForm(true));
  cancel.addEventListener("click", () => showForm(false));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const resolution = input.value.trim();
    if (!resolution) {
      input.focus();
      return;
    }
    send(submit, "resolve-complaint", { complaint_id: complaint.complaint_id, resolution });
  });
  cell.append(resolve, form);
  return cell;
}

export const page = {
  id: "service",
  title: "Service",
  async render(ctx) {
    const { api, fmt } = ctx;
    const [summary, open, acknowledged] = await Promise.all([
      api.get("/v1/complaints/summary"),
      api.all("/v1/complaints", { status: "open" }),
      api.all("/v1/complaints", { status: "acknowledged" }),
    ]);
    const waiting = [...open, ...acknowledged].sort(byUrgency);

    const slaBody = section(ctx.main, {
      id: "sla",
      title: "SLA compliance by severity",
      intro: "Of every complaint filed, the share that breached neither its first-response nor its resolution clock.",
    });
    const rows = summary.items;
    chart(figure(slaBody, { id: "service-sla", title: "SLA compliance (%)", height: 180 }), {
      type: "bar",
      data: {
        labels: rows.map((r) => r.severity),
        datasets: [{ label: "SLA compliance %", data: rows.map((r) => num(r.sla_compliance_pct)), backgroundColor: rows.map((r) => SEVERITY_COLOURS[r.severity] || COLOURS.muted) }],
      },
      options: {
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item) => fmt.pct(rows[item.dataIndex].sla_compliance_pct) } } },
        indexAxis: "y",
        scales: { x: { min: 0, max: 100, title: { display: true, text: "% of complaints within both clocks" } } },
      },
    });
    const hours = (v) => (v === null || v === undefined ? "–" : `${fmt.number(v)} h`);
    table(slaBody, {
      id: "sla",
      caption: "Complaints and their clocks, per severity",
      rows: rows.map((r) => ({ ...r, __key: r.severity })),
      columns: [
        { key: "severity", label: "Severity", format: (v) => badge(v, SEVERITY[v] || "info") },
        { key: "filed", label: "Filed", numeric: true, format: fmt.number },
        { key: "open", label: "Open", numeric: true, format: fmt.number },
        { key: "resolved", label: "Resolved", numeric: true, format: fmt.number },
        { key: "median_first_response_hours", label: "Response, median", numeric: true, format: hours },
        { key: "p90_first_response_hours", label: "Response, p90", numeric: true, format: hours },
        { key: "median_resolution_hours", label: "Resolution, median", numeric: true, format: hours },
        { key: "breaches", label: "Breaches", numeric: true, format: fmt.number },
        { key: "sla_compliance_pct", label: "Compliance", numeric: true, format: fmt.pct },
      ],
    });

    const openBody = section(ctx.main, {
      id: "open-complaints",
      title: "Complaints waiting",
      intro: `Open and acknowledged complaints, breached ones first, then by resolution due time (${fmt.timezone}).`,
    });
    const result = el("p", { class: "result", id: "complaint-action-result", role: "status", "aria-live": "polite" });
    openBody.append(result);
    const canWrite = ctx.can(SCOPE);
    if (!canWrite) openBody.append(el("p", { class: "empty", text: `Your token cannot acknowledge or resolve: it needs the scope “${SCOPE}”.` }));
    table(openBody, {
      id: "open-complaints",
      caption: "Complaints not resolved yet",
      rows: waiting.map((c) => ({ ...c, __key: c.complaint_id })),
      rowClass: (c) => (breached(c) ? "alert" : null),
      columns: [
        { key: "complaint_id", label: "Complaint" },
        ...(canWrite ? [{ key: "actions", label: "Actions", value: () => "", format: (_, c) => actions(ctx, c, result) }] : []),
        { key: "severity", label: "Severity", format: (v) => badge(v, SEVERITY[v] || "info") },
        { key: "status", label: "Status", format: (v) => badge(v, v === "open" ? "warn" : "info") },
        { key: "response_due_at", label: "Response due", format: fmt.dateTime, cls: () => "wrap" },
        { key: "breached_response", label: "Response", format: flag },
        { key: "resolution_due_at", label: "Resolution due", format: fmt.dateTime, cls: () => "wrap" },
        { key: "breached_resolution", label: "Resolution", format: flag },
        { key: "first_response_hours", label: "First response", numeric: true, format: hours },
        { key: "filed_at", label: "Filed", format: fmt.dateTime, cls: () => "wrap" },
        { key: "customer_id", label: "Customer" },
        { key: "category", label: "Category", cls: () => "wrap" },
      ],
      empty: "Every complaint is resolved.",
    });

    const forms = section(ctx.main, { id: "record", title: "Record", intro: "A complaint filed here starts its clocks now and is listed above once accepted." });
    commandForm(forms, ctx, {
      id: "file-complaint",
      title: "File a complaint",
      command: "file-complaint",
      scope: SCOPE,
      fields: [
        { name: "complaint_id", label: "Complaint id", required: true, value: newId("C") },
        { name: "customer_id", label: "Customer", required: true },
        { name: "channel", label: "Channel", type: "select", required: true, value: "email", options: CHANNELS.map((c) => [c, c]) },
        { name: "severity", label: "Severity", type: "select", required: true, value: "medium", options: Object.keys(SEVERITY).map((s) => [s, s]) },
        { name: "category", label: "Category", required: true },
        { name: "description", label: "Description", type: "textarea", required: true },
        { name: "order_id", label: "Order" },
        { name: "sku", label: "Product" },
        { name: "lot_id", label: "Lot" },
      ],
      submit: "File",
    });
  },
};
