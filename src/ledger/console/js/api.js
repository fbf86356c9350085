// The console's only way to the ledger: its public HTTP API, with the signed-in token.
//
// After a write made from the console, every read asks for `min_position` (the write's
// position), so the figures shown next include it; a read model still behind answers 503
// `not-caught-up`, and the read is asked again after its Retry-After while the notice says so.

const TOKEN_KEY = "ledger.token";
const POSITION_KEY = "ledger.position";
const CATCH_UP_TRIES = 3;
const WAIT_MS = 2000; // how long one read waits for the read model to reach the write

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }

  /** The problem's detail and, for a 422, each field that was refused. */
  describe() {
    const errors = (this.problem.errors || []).map((e) => `${(e.loc || []).join(".")}: ${e.msg}`);
    return [this.message, ...errors].join("\n");
  }
}

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(POSITION_KEY);
  },
  position: () => sessionStorage.getItem(POSITION_KEY),
  wrote: (position) => sessionStorage.setItem(POSITION_KEY, position),
  forget: () => sessionStorage.removeItem(POSITION_KEY),
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return { title: response.statusText, detail: `HTTP ${response.status}` };
  }
}

export class Api {
  /** `events.waiting(text)` shows a catching-up notice (null clears it); `events.unauthorized()` signs out. */
  constructor(token, events = {}) {
    this.token = token;
    this.events = events;
    this.behind = null; // what the notice keeps saying after a read gave up waiting, until the next write
  }

  headers(extra = {}) {
    return { Authorization: `Bearer ${this.token}`, Accept: "application/json", ...extra };
  }

  /**
   * GET a read route; `params` drops empty values. Answers the JSON body.
   *
   * After a write from the console (`fresh`), the read waits for that write's position. A read
   * model still behind after CATCH_UP_TRIES answers is read as it stands, and the notice says
   * that the figures do not include the change yet, rather than leaving the page empty.
   */
  async get(path, params = {}, { fresh = true } = {}) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
    }
    const position = fresh ? session.position() : null;
    const plain = query.size ? `${path}?${query}` : path;
    if (position) {
      query.set("min_position", position);
      query.set("wait_ms", String(WAIT_MS));
    }
    let url = query.size ? `${path}?${query}` : path;
    for (let attempt = 1; ; attempt += 1) {
      const response = await fetch(url, { headers: this.headers() });
      if (response.ok) {
        this.events.waiting?.(this.behind);
        return response.json();
      }
      const problem = await problemOf(response);
      if (response.status === 401) this.events.unauthorized?.(problem);
      const behind = response.status === 503 && problem.type?.endsWith("/not-caught-up");
      if (response.status !== 503 || (!behind && attempt >= CATCH_UP_TRIES)) {
        this.events.waiting?.(this.behind);
        throw new ApiError(response.status, problem);
      }
      if (behind && attempt >= CATCH_UP_TRIES) {
        // Later reads no longer wait for it: the header's status shows the lag meanwhile.
        session.forget();
        url = plain;
        this.behind = `These figures do not include your last change yet: ${problem.detail}. The Operations page shows how far each read model is.`;
        this.events.waiting?.(this.behind);
        continue;
      }
      const seconds = Number(response.headers.get("Retry-After")) || 1;
      this.events.waiting?.(
        behind
          ? `The figures are catching up with your last change; asking again in ${seconds} s…`
          : `The ledger is unavailable for a moment (${problem.detail || "503"}); asking again in ${seconds} s…`,
      );
      await sleep(seconds * 1000);
    }
  }

  /** Every page of a list route, following its cursor (at most `max` items). */
  async all(path, params = {}, max = 2000) {
    const items = [];
    let cursor = null;
    do {
      const page = await this.get(path, { ...params, limit: 500, cursor });
      items.push(...page.items);
      cursor = page.cursor;
    } while (cursor && items.length < max);
    return items;
  }

  /** POST a command with a fresh idempotency key; remembers its position for the next reads. */
  async command(name, body) {
    const response = await fetch(`/v1/commands/${encodeURIComponent(name)}`, {
      method: "POST",
      headers: this.headers({ "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() }),
      body: JSON.stringify(body),
    });
    const answer = await (response.ok ? response.json() : problemOf(response));
    if (!response.ok) {
      if (response.status === 401) this.events.unauthorized?.(answer);
      throw new ApiError(response.status, answer);
    }
    session.wrote(answer.position);
    this.behind = null;
    return answer;
  }
}
