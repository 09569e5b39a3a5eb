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


def axe_violations(page):
    """WCAG 2.2 A and AA violations axe-core finds on the page (bundled, works offline)."""
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
    return results.response["violations"]
