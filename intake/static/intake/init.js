// GOV.UK Frontend components, the follow-up page's time limit, and a warning before leaving
// the token page unconfirmed.
import { initAll } from "../govuk/govuk-frontend.min.js";
import { initFollowUpTimeout } from "./followup.js";

initAll();
initFollowUpTimeout();

// "Copy token" on the token page, where the browser can write to the clipboard.
const copyButton = document.getElementById("copy-token");
if (copyButton && navigator.clipboard && window.isSecureContext) {
  document.getElementById("copy-token-group").hidden = false;
  copyButton.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(document.getElementById("token").textContent.trim());
    } catch {
      return; // refused by the browser: the token is still on the page to write down
    }
    document.getElementById("copy-token-status").textContent = copyButton.dataset.copied;
  });
}

// The reporting levels (docs/decisions/0031-confidential-reporting.md): a level that asks for
// a name reveals its box, which follows its radio. Not GOV.UK's data-aria-controls, which also
// sets aria-expanded on the radios: not allowed on a radio (axe: aria-allowed-attr; a known
// issue, alphagov/govuk-frontend#979). Without this script every box is shown.
const revealing = document.querySelectorAll("input[type=radio][data-reveals]");
const syncReveals = () => {
  revealing.forEach((input) => {
    const box = document.getElementById(input.dataset.reveals);
    if (box) {
      box.classList.toggle("govuk-radios__conditional--hidden", !input.checked);
    }
  });
};
if (revealing.length) {
  const groups = new Set(Array.from(revealing, (input) => input.name));
  groups.forEach((name) => {
    document.querySelectorAll(`input[type=radio][name="${name}"]`).forEach((input) => {
      input.addEventListener("change", syncReveals);
    });
  });
  window.addEventListener("pageshow", syncReveals);
  syncReveals();
}

const keptForm = document.getElementById("kept-form");
if (keptForm) {
  // This page answered a form. Give its history entry the token page's own address, so that
  // reloading it or coming back to it shows the token again (from the short-lived cookie)
  // instead of a browser's "confirm form resubmission" error. Only where cookies work.
  if (navigator.cookieEnabled && keptForm.dataset.pageUrl) {
    history.replaceState(null, "", keptForm.dataset.pageUrl);
  }
  let confirmed = false;
  keptForm.addEventListener("submit", () => { confirmed = true; });
  // Downloading the receipt does not leave the page: no warning for it.
  let downloading = false;
  document.querySelectorAll("form:not(#kept-form)").forEach((form) => {
    form.addEventListener("submit", () => {
      downloading = true;
      setTimeout(() => { downloading = false; }, 1000);
    });
  });
  window.addEventListener("beforeunload", (event) => {
    if (!confirmed && !downloading && !document.getElementById("kept").checked) {
      event.preventDefault();
    }
  });
}
