// Quality: the p-chart with its limits and the points the API flags out of control (with the
// Western Electric rule that fired), the Pareto of defect categories, defect trends and the
// complaint rate. Every figure is the API's: the page only chooses, orders and formats.

import { chart, COLOURS, figure, num } from "../charts.js";
import { daysBefore } from "../format.js";
import { badge, commandForm, el, filters, newId, section, table } from "../ui.js";

const state = { subgroup: "week", sku: "", supplier: "", stage: "" };
const PARETO_DAYS = 90;
const STAGES = [["incoming", "incoming"], ["in_process", "in process"], ["final", "final"]];

// The rules projections/quality/pchart.py names, in words; an unknown one shows its name.
const RULES = {
  beyond_3_sigma: "a point beyond 3σ",
  "2_of_3_beyond_2_sigma": "2 of 3 beyond 2σ, one side",
  "4_of_5_beyond_1_sigma": "4 of 5 beyond 1σ, one side",
  "8_on_one_side": "8 in a row on one side",
};
const inWords = (rules) => rules.map((r) => RULES[r] || r);

export const page = {
  id: "quality",
  title: "Quality",
  async render(ctx) {
    const { api, fmt } = ctx;
    filters(
      ctx.main,
      ctx,
      state,
      [
        { name: "subgroup", label: "Subgroup", type: "select", options: [["week", "week"], ["day", "day"], ["inspection", "inspection"]] },
        { name: "stage", label: "Stage", type: "select", options: [["", "every stage"], ...STAGES] },
        { name: "sku", label: "Product", placeholder: "every product" },
        { name: "supplier", label: "Supplier", placeholder: "every supplier" },
      ],
    );
    const since = daysBefore(fmt.today(), PARETO_DAYS);
    const selection = { sku: state.sku, supplier_id: state.supplier, stage: state.stage };
    const [control, pareto, trends, complaints] = await Promise.all([
      api.get("/v1/quality/control-chart", { subgroup: state.subgroup, ...selection }),
      api.get("/v1/quality/pareto", { sku: state.sku, from: since }),
      api.get("/v1/quality/trends", { bucket: "week", ...selection }),
      api.get("/v1/quality/complaint-rate", { bucket: "month", sku: state.sku }),
    ]);

    // A bucket's key is its start (shown as a date in the business time zone); an inspection's is its id.
    const keyText = state.subgroup === "inspection" ? (key) => key : fmt.date;
    const points = control.subgroups;
    const flagged = points.filter((s) => s.out_of_control);

    const chartBody = section(ctx.main, {
      id: "p-chart",
      title: `p-chart by ${state.subgroup}`,
      intro: "Fraction defective per subgroup, with its own 3σ limits around the centre line. Red points are out of control: the list names the rule that fired, as does a point's tooltip.",
    });
    // A long chart (one point per inspection) takes the whole width, its list below it.
    const many = points.length > 40;
    const split = el("div", { class: many ? null : "beside" });
    chartBody.append(split);
    const plot = el("div");
    const side = el("div", { class: "scroll-list" });
    split.append(plot, side);
    const labels = points.map((s) => s.key);
    const pChart = chart(figure(plot, { id: "quality-p-chart", title: `Fraction defective (centre line ${fmt.rate(control.center_line)})`, height: 320 }), {
      type: "line",
      data: {
        labels,
        datasets: [
          {
            label: "p",
            data: points.map((s) => num(s.p)),
            borderColor: COLOURS.primary,
            backgroundColor: COLOURS.primary,
            pointBackgroundColor: points.map((s) => (s.out_of_control ? COLOURS.bad : COLOURS.primary)),
            pointBorderColor: points.map((s) => (s.out_of_control ? COLOURS.bad : COLOURS.primary)),
            pointRadius: points.map((s) => (s.out_of_control ? 6 : many ? 1 : 2.5)),
            pointHoverRadius: points.map((s) => (s.out_of_control ? 8 : 5)),
            borderWidth: 1.5,
          },
          { label: "UCL", data: points.map((s) => num(s.ucl)), stepped: "middle", borderColor: COLOURS.limits, backgroundColor: COLOURS.limits, borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0 },
          { label: "LCL", data: points.map((s) => num(s.lcl)), stepped: "middle", borderColor: COLOURS.limits, backgroundColor: COLOURS.limits, borderDash: [2, 3], borderWidth: 1.5, pointRadius: 0 },
          { label: "centre line", data: points.map(() => num(control.center_line)), borderColor: COLOURS.centre, backgroundColor: COLOURS.centre, borderWidth: 1.5, pointRadius: 0 },
        ],
      },
      options: {
        scales: {
          x: { ticks: { callback: (value) => keyText(labels[value]), maxTicksLimit: 12 } },
          y: { beginAtZero: true, title: { display: true, text: "fraction defective" } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              title: (items) => keyText(labels[items[0].dataIndex]),
              afterLabel: (item) => (item.datasetIndex === 0 && points[item.dataIndex].out_of_control ? inWords(points[item.dataIndex].rules).map((r) => `out of control: ${r}`) : ""),
            },
          },
        },
      },
    });
    pChart.canvas.dataset.rows = String(points.length);

    side.append(el("h3", { text: "Out of control" }));
    const subgroupColumns = [
      { key: "key", label: state.subgroup === "inspection" ? "Inspection" : state.subgroup === "day" ? "Day" : "Week of", format: keyText },
      { key: "n", label: "n", numeric: true, format: fmt.number },
      { key: "defective", label: "Defective", numeric: true, format: fmt.number },
      { key: "p", label: "p", numeric: true, format: fmt.rate },
      { key: "ucl", label: "UCL", numeric: true, format: fmt.rate },
      { key: "lcl", label: "LCL", numeric: true, format: fmt.rate },
    ];
    table(side, {
      id: "out-of-control",
      caption: "The subgroups the API flags, and the rules that fired",
      rows: flagged.map((s) => ({ ...s, __key: s.key })),
      rowClass: () => "alert",
      columns: [...subgroupColumns, { key: "rules", label: "Rules", cls: () => "wrap", format: (v) => inWords(v).join("; ") }],
      empty: "No subgroup is out of control.",
    });
    const every = el("details", { class: "figures" }, el("summary", { text: "Every subgroup" }));
    chartBody.append(every);
    table(every, {
      id: "p-chart",
      caption: `Each ${state.subgroup}'s sample, fraction defective and limits`,
      rows: points.map((s) => ({ ...s, __key: s.key })),
      rowClass: (s) => (s.out_of_control ? "alert" : null),
      columns: [...subgroupColumns, { key: "rules", label: "Rules", format: (v) => (v.length ? inWords(v).join("; ") : "") }],
      empty: "Nothing was inspected in this selection.",
    });

    const grid = el("div", { class: "grid" });
    ctx.main.append(grid);
    const paretoBody = section(grid, { id: "pareto", title: "Defects by category", intro: `Since ${fmt.day(since)} (${PARETO_DAYS} days), largest first, with the cumulative share (0 to 1).` });
    chart(figure(paretoBody, { id: "quality-pareto", title: "Pareto of defect categories", height: 280 }), {
      type: "bar",
      data: {
        labels: pareto.items.map((i) => i.category),
        datasets: [
          { label: "defects", data: pareto.items.map((i) => num(i.count)), backgroundColor: COLOURS.primary, yAxisID: "y", order: 2 },
          { type: "line", label: "cumulative share", data: pareto.items.map((i) => num(i.cumulative_share)), borderColor: COLOURS.pace, backgroundColor: COLOURS.pace, yAxisID: "share", order: 1 },
        ],
      },
      options: {
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "defects" } },
          share: { position: "right", min: 0, max: 1, grid: { drawOnChartArea: false }, title: { display: true, text: "cumulative share" } },
        },
      },
    });
    table(paretoBody, {
      id: "pareto",
      caption: "Defects per category",
      rows: pareto.items.map((i) => ({ ...i, __key: i.category })),
      columns: [
        { key: "category", label: "Category" },
        { key: "count", label: "Defects", numeric: true, format: fmt.number },
        { key: "share", label: "Share", numeric: true, format: fmt.rate },
        { key: "cumulative_share", label: "Cumulative", numeric: true, format: fmt.rate },
      ],
      empty: "No defects recorded in these days.",
    });

    const trendsBody = section(grid, { id: "trends", title: "Weekly trends", intro: "Defect rate (defective ÷ inspected units) and rejected lots per week." });
    chart(figure(trendsBody, { id: "quality-trends", title: "Defect rate and rejected lots by week", height: 280 }), {
      type: "bar",
      data: {
        labels: trends.items.map((b) => b.bucket),
        datasets: [
          { type: "line", label: "defect rate", data: trends.items.map((b) => num(b.defect_rate)), borderColor: COLOURS.bad, backgroundColor: COLOURS.bad, yAxisID: "rate", order: 1 },
          { label: "rejected lots", data: trends.items.map((b) => num(b.rejected_lots)), backgroundColor: COLOURS.muted, yAxisID: "y", order: 2 },
        ],
      },
      options: {
        scales: {
          x: { ticks: { callback: (value) => fmt.date(trends.items[value]?.bucket) } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "rejected lots" } },
          rate: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: "defect rate" } },
        },
        plugins: { tooltip: { callbacks: { title: (items) => `Week of ${fmt.date(trends.items[items[0].dataIndex].bucket)}` } } },
      },
    });
    table(trendsBody, {
      id: "trends",
      caption: "Inspections per week",
      rows: trends.items.map((b) => ({ ...b, __key: b.bucket })),
      columns: [
        { key: "bucket", label: "Week of", format: fmt.date },
        { key: "inspections", label: "Inspections", numeric: true, format: fmt.number },
        { key: "inspected_units", label: "Inspected", numeric: true, format: fmt.number },
        { key: "defective_units", label: "Defective", numeric: true, format: fmt.number },
        { key: "defect_rate", label: "Defect rate", numeric: true, format: fmt.rate },
        { key: "rejected_lots", label: "Rejected", numeric: true, format: fmt.number },
      ],
      empty: "Nothing inspected yet.",
    });

    const complaintsBody = section(ctx.main, { id: "complaint-rate", title: "Complaint rate", intro: "Complaints filed per 1000 units shipped, by month." });
    table(complaintsBody, {
      id: "complaint-rate",
      caption: "Complaints per 1000 units shipped",
      rows: complaints.items.map((b) => ({ ...b, __key: b.bucket })),
      columns: [
        { key: "bucket", label: "Month of", format: fmt.date },
        { key: "complaints", label: "Complaints", numeric: true, format: fmt.number },
        { key: "units_shipped", label: "Units shipped", numeric: true, format: fmt.number },
        { key: "per_thousand", label: "Per 1000 units", numeric: true, format: fmt.number },
      ],
      empty: "Nothing shipped yet.",
    });

    const forms = section(ctx.main, { id: "record", title: "Record", intro: "An inspection recorded here is in the p-chart above as soon as it is accepted." });
    commandForm(forms, ctx, {
      id: "record-inspection",
      title: "Record an inspection",
      command: "record-inspection",
      scope: "quality:write",
      fields: [
        { name: "inspection_id", label: "Inspection id", required: true, value: newId("QI") },
        { name: "lot_id", label: "Lot", required: true },
        { name: "sku", label: "Product", required: true, value: state.sku },
        { name: "supplier_id", label: "Supplier", value: state.supplier },
        { name: "stage", label: "Stage", type: "select", required: true, value: state.stage || "incoming", options: STAGES },
        { name: "sample_size", label: "Sample size", type: "integer", required: true, min: "1" },
        { name: "defective_units", label: "Defective units", type: "integer", required: true, min: "0" },
        { name: "disposition", label: "Disposition", type: "select", required: true, value: "accept", options: [["accept", "accept"], ["reject", "reject"], ["rework", "rework"]] },
        { name: "defect_category", label: "Defect category" },
        { name: "defect_count", label: "Defects of that category", type: "integer", min: "0" },
      ],
      // One optional category becomes the `defects` list.
      build: ({ defect_category, defect_count, ...rest }) => ({
        ...rest,
        defects: defect_category ? [{ category: defect_category, count: defect_count }] : [],
      }),
    });
    if (flagged.length) ctx.main.querySelector("#p-chart-title")?.append(" ", badge("out of control", "bad"));
  },
};
