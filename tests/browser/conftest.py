"""Browser tests: Debian's chromium driven by Playwright, checked with axe-core.

Never ``playwright install``: the browser is the distribution's package, installed by
``.ci/run`` (or by hand with ``apt-get install chromium``).
"""

import os

import pytest

# pytest-playwright runs an event loop in the test thread; the ORM calls made by fixtures
# are still synchronous and safe here (STACK.md gotcha 6).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }


# Elements that stick out past the right edge of the page, except inside a region of its own
# that scrolls (a wide table in ``.staff-scroll``).
_STICKING_OUT = """() => Array.from(document.querySelectorAll('body *')).filter((el) => {
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.right > document.documentElement.clientWidth + 1
    && !el.closest('.staff-scroll');
}).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
  + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : ''))"""


def reflow_problems(page):
    """WCAG 1.4.10 (reflow): what sticks out sideways when the page is 320 CSS pixels wide,
    where nothing but a scrolling table may. The viewport is put back afterwards."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    try:
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")
        return page.evaluate(_STICKING_OUT)[:10]
    finally:
        if size:
            page.set_viewport_size(size)


# The element that has the keyboard's focus, and whether it shows it (an outline, a shadow or
# GOV.UK's yellow focus background).
_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const style = getComputedStyle(el);
  const shown = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== 'none' || style.backgroundColor === 'rgb(255, 221, 0)';
  return {
    what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (el.name ? '[' + el.name + ']' : ''),
    shown,
  };
}"""


def keyboard_problems(page, presses=60):
    """Tab through the page from the top (as a keyboard user would, up to ``presses`` times):
    every element that takes the focus must show it (WCAG 2.4.7). The focus is put back at the
    top afterwards."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    problems, seen = [], set()
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused is None or focused["what"] in seen:
            break
        seen.add(focused["what"])
        if not focused["shown"]:
            problems.append(focused["what"])
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    return problems


def axe_violations(page):
    """WCAG 2.2 A and AA violations axe-core finds on the page (bundled, works offline), and two
    it cannot check: reflow at 320 pixels (``reflow-320px``) and a visible keyboard focus on
    everything Tab reaches (``focus-not-visible``)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {
                "type": "tag",
                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
            }
        },
    )
    violations = list(results.response["violations"])
    wide = reflow_problems(page)
    if wide:
        violations.append({"id": "reflow-320px", "nodes": [{"target": [w]} for w in wide]})
    unseen = keyboard_problems(page)
    if unseen:
        violations.append({"id": "focus-not-visible", "nodes": [{"target": [u]} for u in unseen]})
    return violations


def sign_in(page, username="handler", password="a-long-password-1", *, offset=0):  # noqa: S107
    """Through the sign-in page with a password and a TOTP code. A second sign-in in the same
    test passes ``offset=1`` (the next period's code): a code once used is refused (replay)."""
    from tests.conftest import totp_code

    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(totp_code(offset=offset))
    page.get_by_role("button", name="Sign in").click()
