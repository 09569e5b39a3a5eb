// GOV.UK Frontend components on the staff pages, and the idle warning.
import { initAll } from "../govuk/govuk-frontend.min.js";
import { initTimeout } from "./timeout.js";

initAll();
initTimeout(document.body);
