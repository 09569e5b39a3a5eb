// The staff session's idle limit, said before it ends (issue 15, GOV.UK's timeout warning).
//
// StaffSessionMiddleware ends a session idle for data-idle-seconds. Two minutes before (or at
// half the limit, if shorter) a dialog offers "Stay signed in", a POST to data-keep-url that
// counts as activity. Typing in a form counts too (at most one POST a minute), so nobody loses
// a message while writing it. When the time is up: with nothing typed, the page is asked for
// again and the server sends it to sign-in, returning here afterwards; with unsent text, the
// page stays as it is and says so, so the text can be copied before signing in again.

const MINUTE = 60 * 1000;

function typed() {
  return Array.from(document.querySelectorAll("form textarea, form input[type=text]")).some(
    (field) => field.value !== field.defaultValue,
  );
}

export function initTimeout(body) {
  const idle = Number(body.dataset.idleSeconds) * 1000;
  const warning = document.getElementById("staff-timeout");
  const ended = document.getElementById("staff-timed-out");
  const tokenField = document.querySelector("#staff-signout input[name=csrfmiddlewaretoken]");
  if (!idle || !warning || !ended || !tokenField || typeof warning.showModal !== "function") {
    return;
  }
  const lead = Math.min(2 * MINUTE, idle / 2);
  let warnTimer;
  let endTimer;
  let pinged = Date.now();
  let over = false;

  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(warn, idle - lead);
    // A little after the server's limit, so that asking for the page finds the session ended.
    endTimer = setTimeout(end, idle + 2000);
  }

  function warn() {
    if (!over && !warning.open) {
      warning.showModal();
    }
  }

  function end() {
    over = true;
    if (warning.open) {
      warning.close();
    }
    if (typed()) {
      const here = window.location.pathname + window.location.search;
      ended.querySelector("[data-timeout-signin]").href =
        `${body.dataset.signinUrl}?${new URLSearchParams({ timed_out: "1", next: here })}`;
      ended.showModal();
    } else {
      window.location.assign(window.location.href); // a GET, even after a form
    }
  }

  async function keep() {
    pinged = Date.now();
    let answer;
    try {
      answer = await fetch(body.dataset.keepUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": tokenField.value },
      });
    } catch {
      return; // offline for a moment: the timers stand, and the warning will come again
    }
    if (answer.status === 204) {
      if (warning.open) {
        warning.close();
      }
      schedule();
    } else {
      end();
    }
  }

  warning.querySelector("[data-timeout-keep]").addEventListener("click", keep);
  warning.addEventListener("cancel", (event) => {
    // Escape is "Stay signed in", not a way to miss the warning.
    event.preventDefault();
    keep();
  });
  document.addEventListener("input", () => {
    if (!over && Date.now() - pinged > MINUTE) {
      keep();
    }
  });
  schedule();
}
