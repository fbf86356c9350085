// Plan scorecard (being written).
import { el } from "../ui.js";

export const page = {
  id: "plan",
  title: "Plan scorecard",
  async render(ctx) {
    ctx.main.append(el("p", { class: "empty", text: "Coming in this release." }));
  },
};
