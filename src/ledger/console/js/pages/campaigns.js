// Campaigns (being written).
import { el } from "../ui.js";

export const page = {
  id: "campaigns",
  title: "Campaigns",
  async render(ctx) {
    ctx.main.append(el("p", { class: "empty", text: "Coming in this release." }));
  },
};
