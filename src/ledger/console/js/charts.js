// Charts through the vendored Chart.js. A chart plots the API's decimals as numbers, nothing
// else: every figure it shows is one the API gave (the figures table beside it shows them exact).
/* global Chart */

export const COLOURS = {
  primary: "#2563eb",
  secondary: "#0d9488",
  muted: "#94a3b8",
  target: "#111827",
  pace: "#d97706",
  good: "#16a34a",
  warn: "#d97706",
  bad: "#dc2626",
  limits: "#dc2626",
  centre: "#16a34a",
};

/** A number to plot from an API decimal string; null stays a gap. */
export const num = (value) => (value === null || value === undefined || value === "" ? null : Number(value));

/** A <figure> with a titled canvas (`data-chart`=id) of `height` px, appended to `parent`. */
export function figure(parent, { id, title, height = 300 }) {
  const canvas = document.createElement("canvas");
  canvas.dataset.chart = id;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", title);
  const frame = document.createElement("div");
  frame.className = "chart-frame";
  frame.style.height = `${height}px`;
  frame.append(canvas);
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  const node = document.createElement("figure");
  node.className = "chart";
  node.append(caption, frame);
  parent.append(node);
  return canvas;
}

/** A Chart.js chart with the console's defaults: no animation, sized by its frame, legend below. */
export function chart(canvas, config) {
  const options = config.options || {};
  return new Chart(canvas, {
    ...config,
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "nearest", intersect: false },
      ...options,
      datasets: { bar: { maxBarThickness: 56 }, ...(options.datasets || {}) },
      plugins: { legend: { position: "bottom" }, ...(options.plugins || {}) },
    },
  });
}

/** Ticks and tooltips of a linear time axis (epoch ms), shown in the business time zone. */
export function timeAxis(fmt, title) {
  return {
    type: "linear",
    title: { display: Boolean(title), text: title },
    ticks: { callback: (value) => fmt.date(new Date(value).toISOString()), maxTicksLimit: 8 },
  };
}
