// GOV.UK Frontend components, and a warning before leaving the token page unconfirmed.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();

const keptForm = document.getElementById("kept-form");
if (keptForm) {
  let confirmed = false;
  keptForm.addEventListener("submit", () => { confirmed = true; });
  window.addEventListener("beforeunload", (event) => {
    if (!confirmed && !document.getElementById("kept").checked) {
      event.preventDefault();
    }
  });
}
