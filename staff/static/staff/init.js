// GOV.UK Frontend components on the staff pages.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
