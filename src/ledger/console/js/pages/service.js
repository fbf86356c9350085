// Service (being written).
import { el } from "../ui.js";

export const page = {
  id: "service",
  title: "Service",
  async render(ctx) {
    ctx.main.append(el("p", { class: "empty", text: "Coming in this release." }));
  },
};
