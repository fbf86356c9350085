// Sales (being written).
import { el } from "../ui.js";

export const page = {
  id: "sales",
  title: "Sales",
  async render(ctx) {
    ctx.main.append(el("p", { class: "empty", text: "Coming in this release." }));
  },
};
