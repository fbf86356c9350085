// Small DOM helpers the pages share: elements, sections, figure tables, filters and the
// forms that send commands. Every figure cell keeps the API's exact value in `data-value`.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A titled section of a page; `intro` says in one line what it shows. */
export function section(parent, { id, title, intro }) {
  const body = el("div", { class: "section-body" });
  const node = el(
    "section",
    { class: "card", id, "aria-labelledby": `${id}-title` },
    el("h2", { id: `${id}-title`, text: title }),
    intro ? el("p", { class: "intro", text: intro }) : null,
    body,
  );
  parent.append(node);
  return body;
}

/**
 * A table of figures. `columns`: [{key, label, format?, numeric?, cls?(row)}]; each cell shows
 * `format(value, row)` and keeps the raw value in data-value. `rowClass(row)` marks rows.
 */
export function table(parent, { id, caption, columns, rows, rowClass, empty = "Nothing to show." }) {
  if (!rows.length) {
    const note = el("p", { class: "empty", dataset: { table: id }, text: empty });
    parent.append(note);
    return note;
  }
  const head = el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.numeric ? "num" : null, text: c.label })));
  const body = rows.map((row) =>
    el(
      "tr",
      { class: rowClass ? rowClass(row) : null, dataset: row.__key ? { key: row.__key } : {} },
      columns.map((c) => {
        const value = typeof c.value === "function" ? c.value(row) : row[c.key];
        const shown = c.format ? c.format(value, row) : value ?? "–";
        const cell = el("td", { class: [c.numeric ? "num" : "", c.cls ? c.cls(row) : ""].join(" ").trim() || null });
        cell.dataset.col = c.key;
        cell.dataset.value = value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
        if (shown instanceof Node) cell.append(shown);
        else cell.textContent = shown ?? "–";
        return cell;
      }),
    ),
  );
  const node = el(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    el("table", { dataset: { table: id } }, el("caption", { text: caption }), el("thead", {}, head), el("tbody", {}, body)),
  );
  parent.append(node);
  return node;
}

/**
 * A row of filters over a page's `state`: each shows `state[name]`, and a change stores the new
 * value there (text trimmed) and draws the page again. Each: {name, label, type?, options?, placeholder?}.
 */
export function filters(parent, ctx, state, fields) {
  const form = el("form", { class: "filters", onsubmit: (e) => e.preventDefault() });
  for (const f of fields) {
    const id = `filter-${f.name}`;
    const value = state[f.name] ?? "";
    const input =
      f.type === "select"
        ? el("select", { id, name: f.name }, f.options.map(([v, label]) => el("option", { value: v, selected: v === value, text: label })))
        : el("input", { id, name: f.name, type: f.type || "text", value, placeholder: f.placeholder });
    input.addEventListener("change", () => {
      state[f.name] = input.value.trim();
      ctx.refresh();
    });
    form.append(el("label", { for: id }, f.label), input);
  }
  parent.append(form);
}

/** A small coloured badge: kind is ok, warn, bad or info. */
export function badge(text, kind = "info") {
  return el("span", { class: `badge ${kind}`, text });
}

/**
 * A form that sends one command. fields: [{name, label, type (text, number, integer, select,
 * datetime-local, textarea), options?, required?, value?, hint?}]; an `integer` field is sent as
 * a JSON number (counts are integers in the commands), every other as the text typed.
 * `build(values)` turns them into the body (default: the values as they are, empty ones left out). A token without `scope` sees why
 * it cannot send instead of the form. After a 201 the page is drawn again (`ctx.refresh`), its
 * reads waiting for the write's position, so it shows what was recorded.
 */
export function commandForm(parent, ctx, { id, title, command, scope, fields, build, submit = "Record" }) {
  const box = el("details", { class: "command", id }, el("summary", { text: title }));
  parent.append(box);
  if (!ctx.can(scope)) {
    box.append(el("p", { class: "empty", text: `Your token cannot do this: it needs the scope “${scope}”.` }));
    return box;
  }
  const result = el("p", { class: "result", role: "status", "aria-live": "polite" });
  const form = el("form", { class: "command-form", novalidate: true });
  for (const f of fields) {
    const fid = `${id}-${f.name}`;
    let input;
    if (f.type === "select") {
      input = el("select", { id: fid, name: f.name, required: f.required }, f.options.map(([v, label]) => el("option", { value: v, text: label, selected: v === f.value })));
    } else if (f.type === "textarea") {
      input = el("textarea", { id: fid, name: f.name, required: f.required, rows: 2 });
      if (f.value) input.value = f.value;
    } else {
      const numeric = f.type === "number" || f.type === "integer";
      input = el("input", { id: fid, name: f.name, type: numeric ? "number" : f.type || "text", required: f.required, value: f.value, step: numeric ? (f.type === "integer" ? "1" : "any") : null, min: f.min });
    }
    form.append(el("label", { for: fid }, f.label, f.required ? null : el("span", { class: "optional", text: " (optional)" })), input);
    if (f.hint) form.append(el("small", { class: "hint", text: f.hint }));
  }
  const button = el("button", { type: "submit", text: submit });
  form.append(button, result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    for (const f of fields) {
      const value = form.elements[f.name].value.trim();
      if (value !== "") values[f.name] = f.type === "integer" ? Number(value) : value;
    }
    button.disabled = true;
    result.className = "result";
    result.textContent = "Sending…";
    try {
      const answer = await ctx.api.command(command, build ? build(values) : values);
      result.className = "result ok";
      result.textContent = `Recorded: ${answer.events.map((e) => `${e.type} (${e.stream})`).join(", ")}.`;
      form.reset();
      await ctx.refresh();
    } catch (error) {
      result.className = "result bad";
      result.textContent = error.describe ? error.describe() : String(error);
    } finally {
      button.disabled = false;
    }
  });
  box.append(form);
  return box;
}

/** A fresh id for a form's document (a receipt, a complaint…): the prefix and the time in base 36. */
export const newId = (prefix) => `${prefix}-${Date.now().toString(36).toUpperCase()}`;

/** An RFC 3339 time from a datetime-local value, in the browser's offset (the API keeps the instant). */
export function instant(localValue) {
  return localValue ? new Date(localValue).toISOString() : undefined;
}
