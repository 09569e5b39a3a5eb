// GOV.UK Frontend components on the staff pages, the idle warning, and print buttons.
import { initAll } from "../govuk/govuk-frontend.min.js";
import { initTimeout } from "./timeout.js";

initAll();
initTimeout(document.body);
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
