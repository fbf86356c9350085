// The console's shell: sign-in, the pages' navigation, and the projections' status.
//
// A page is a module under pages/ exporting `page = {id, title, render(ctx)}`. `render`
// fills `ctx.main` from the API (`ctx.api`), formats with `ctx.fmt`, may register a cleanup
// with `ctx.onLeave(fn)` and calls `ctx.refresh()` after a write to read again (with the
// write's min_position). When `render` resolves, <main> is marked data-ready="true".

import { Api, ApiError, session } from "./api.js";
import { formatter } from "./format.js";
import { el } from "./ui.js";
import { page as stock } from "./pages/stock.js";
import { page as sales } from "./pages/sales.js";
import { page as quality } from "./pages/quality.js";
import { page as service } from "./pages/service.js";
import { page as purchasing } from "./pages/purchasing.js";
import { page as campaigns } from "./pages/campaigns.js";
import { page as customers } from "./pages/customers.js";
import { page as plan } from "./pages/plan.js";
import { page as operations } from "./pages/operations.js";

const PAGES = [stock, sales, quality, service, purchasing, campaigns, customers, plan, operations];
const STATUS_EVERY_MS = 5000;

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const notice = document.getElementById("notice");
let leaving = [];
let me = null;
let api = null;
let statusTimer = null;

function showNotice(text) {
  notice.hidden = !text;
  notice.textContent = text || "";
}

function signOut(reason) {
  session.signOut();
  me = null;
  api = null;
  clearInterval(statusTimer);
  renderSignIn(reason);
}

function renderSignIn(reason) {
  for (const fn of leaving.splice(0)) fn();
  nav.hidden = true;
  document.getElementById("who").hidden = true;
  showNotice(null);
  const error = el("p", { class: "result bad", id: "sign-in-error", role: "alert", text: reason || "" });
  const input = el("input", { id: "token", name: "token", type: "password", autocomplete: "off", required: true, spellcheck: "false" });
  const form = el(
    "form",
    { class: "sign-in", id: "sign-in" },
    el("h1", { text: "Sign in" }),
    el("p", { text: "Paste an API token. It is kept for this browser tab only, and forgotten when you sign out or close it." }),
    el("label", { for: "token", text: "Token" }),
    input,
    el("button", { type: "submit", text: "Sign in" }),
    error,
    el("p", { class: "hint", text: "`ledger serve` prints the admin's token on its first start; an admin issues others with POST /v1/admin/tokens." }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      error.textContent = "Enter a token.";
      return;
    }
    error.textContent = "Checking…";
    try {
      await start(token);
    } catch (e) {
      error.textContent = e instanceof ApiError && e.status === 401 ? "This token is not known, or it was revoked." : `Cannot sign in: ${e.message}`;
    }
  });
  main.replaceChildren(form);
  main.dataset.page = "sign-in";
  main.dataset.ready = "true";
  input.focus();
}

async function start(token) {
  const candidate = new Api(token, {
    waiting: showNotice,
    // Only once signed in: a token refused at sign-in is answered by the sign-in form itself.
    unauthorized: () => api === candidate && signOut("Your token is no longer accepted: sign in again."),
  });
  me = await candidate.get("/v1/me", {}, { fresh: false });
  api = candidate;
  session.signIn(token);
  document.getElementById("principal").textContent = me.principal;
  document.getElementById("who").hidden = false;
  nav.replaceChildren(...PAGES.map((p) => el("a", { href: `#/${p.id}`, dataset: { page: p.id }, text: p.title })));
  nav.hidden = false;
  clearInterval(statusTimer);
  updateStatus();
  statusTimer = setInterval(updateStatus, STATUS_EVERY_MS);
  await route();
}

/** The projections' lag in the header: how far the figures are behind the log. */
async function updateStatus() {
  const pill = document.getElementById("status");
  if (!api) return;
  try {
    const body = await api.get("/v1/projections", {}, { fresh: false });
    const behind = body.items.filter((p) => p.live && p.lag > 0);
    const broken = body.items.filter((p) => p.last_error || p.parked > 0);
    const lag = behind.reduce((sum, p) => sum + p.lag, 0);
    pill.className = `pill ${broken.length ? "bad" : behind.length ? "warn" : "ok"}`;
    pill.textContent = broken.length
      ? `${broken.length} projection${broken.length > 1 ? "s" : ""} need attention`
      : behind.length
        ? `Figures ${lag} event${lag > 1 ? "s" : ""} behind`
        : "Figures up to date";
    pill.title = behind.map((p) => `${p.name}: ${p.lag} behind`).join("\n");
  } catch (e) {
    pill.className = "pill warn";
    pill.textContent = e instanceof ApiError && e.status === 403 ? "Projections: not in your scopes" : "Status unavailable";
  }
}

async function route() {
  if (!api) return;
  for (const fn of leaving.splice(0)) fn();
  const id = location.hash.replace(/^#\//, "") || PAGES[0].id;
  const page = PAGES.find((p) => p.id === id) || PAGES[0];
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.page === page.id) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${page.title} · ledger console`;
  main.dataset.page = page.id;
  main.dataset.ready = "false";
  const render = async () => {
    main.dataset.ready = "false";
    const content = el("div", { class: "page" }, el("h1", { text: page.title }));
    main.replaceChildren(content); // charts measure their frames, so the page is drawn in place
    const ctx = {
      api,
      me,
      fmt: formatter(me),
      main: content,
      can: (scope) => !scope || me.scopes.includes(scope) || me.scopes.includes("admin"),
      onLeave: (fn) => leaving.push(fn),
      refresh: async () => {
        for (const fn of leaving.splice(0)) fn();
        await render();
        updateStatus();
      },
    };
    try {
      await page.render(ctx);
    } catch (e) {
      const text = e instanceof ApiError ? `${e.status === 403 ? "Not in your token's scopes" : "Cannot read this page"}: ${e.describe()}` : `Cannot show this page: ${e.message}`;
      content.append(el("p", { class: "result bad", role: "alert", text }));
      if (!(e instanceof ApiError)) console.error(e);
    }
    if (main.dataset.page !== page.id || !content.isConnected) return;
    main.dataset.renders = String(Number(main.dataset.renders || 0) + 1);
    main.dataset.ready = "true";
  };
  await render();
}

document.getElementById("sign-out").addEventListener("click", () => signOut("Signed out."));
window.addEventListener("hashchange", () => {
  route();
  main.focus();
});

const saved = session.token();
if (saved) {
  start(saved).catch(() => signOut("Your token is no longer accepted: sign in again."));
} else {
  renderSignIn();
}
