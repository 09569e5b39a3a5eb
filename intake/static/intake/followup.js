// The follow-up page's idle limit, said before it ends (issue 16, GOV.UK's timeout warning).
//
// The follow-up session ends after data-idle-seconds without a request. Two minutes before,
// a dialog offers "Keep my follow-up open": the same POST as the page's own button (which
// works without this script), asked with js=1 so the answer is empty. When the time is up
// with nothing typed, the page is asked for again and says the follow-up has ended; with a
// message typed, the page stays and says so: sending it then asks for the token and sends the
// message, which travels in the page only.

const MINUTE = 60 * 1000;

function typed() {
  return Array.from(document.querySelectorAll("form textarea")).some(
    (field) => field.value.trim() !== "",
  );
}

export function initFollowUpTimeout() {
  const keepForm = document.getElementById("follow-up-keep");
  const warning = document.getElementById("follow-up-warning");
  const ended = document.getElementById("follow-up-ended");
  const idle = keepForm ? Number(keepForm.dataset.idleSeconds) * 1000 : 0;
  if (!idle || !warning || !ended || typeof warning.showModal !== "function") {
    return;
  }
  const lead = Math.min(2 * MINUTE, idle / 2);
  let warnTimer;
  let endTimer;
  let over = false;

  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(() => { if (!over && !warning.open) warning.showModal(); }, idle - lead);
    // A little after the server's limit, so that asking for the page finds the session ended.
    endTimer = setTimeout(end, idle + 2000);
  }

  function end() {
    over = true;
    if (warning.open) warning.close();
    if (typed()) {
      ended.showModal();
    } else {
      window.location.assign(window.location.pathname);
    }
  }

  async function keep() {
    const body = new URLSearchParams(new FormData(keepForm));
    body.set("js", "1");
    let answer;
    try {
      answer = await fetch(keepForm.action, { method: "POST", credentials: "same-origin", body });
    } catch {
      return; // offline for a moment: the timers stand, and the warning will come again
    }
    if (answer.status === 204) {
      if (warning.open) warning.close();
      schedule();
    } else {
      end();
    }
  }

  warning.querySelector("[data-follow-up-keep]").addEventListener("click", keep);
  document.querySelectorAll("[data-follow-up-close]").forEach((button) => {
    button.addEventListener("click", () => button.closest("dialog").close());
  });
  schedule();
}
