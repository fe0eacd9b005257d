"""Browser tests: Playwright (sync API) driving Debian's Chromium against
pytest-django's ``live_server`` (one per xdist worker).

Chromium and the CJK font come from ``scripts/install_browser.sh`` (``make test``
runs it); nothing is downloaded by Playwright. Every test is marked ``browser``
(select with ``-m browser``, leave out with ``-m "not browser"``) and runs by
default. Each step's screenshot goes to ``var/screenshots/<test>/``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("KEFU_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PASSWORD = "pw-for-tests"  # tests.factories.UserFactory
WIDTH = 1366

# Latin words allowed on a Chinese page: codes, references, units, names of
# standards. Everything else in [A-Za-z]{2,} is an untranslated string.
ALLOWED_WORDS = {
    "SLA",
    "KPI",
    "QA",
    "CAPA",
    "ID",
    "API",
    "Kefu",
    "CSV",
    "XLSX",
    "Excel",
    "PDF",
    "VIP",
    "PK",
    "URL",
    "AM",
    "PM",
    "CST",
    "UTC",
    "English",
    "h",
    "min",
    "KF",
    "CS",
}
ALLOWED_PATTERNS = (
    re.compile(r"^(?=.*\d)[A-Z0-9]+(?:[-_][A-Z0-9]+)*$"),  # codes: TS2026..., KC-LY01
    re.compile(r"[\w.+-]+@[\w.-]+"),  # e-mail addresses
    re.compile(r"^(?:staff|agent|handler|supervisor|relations|trainer|qa|manager)\w*$"),
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            # serialized like the project's other transactional tests: a plain
            # flush before a serialized test loads the content types twice
            item.add_marker(
                pytest.mark.django_db(transaction=True, serialized_rollback=True)
            )


def english_words(text: str) -> list[str]:
    """Latin words of ``text`` that are not on the allow-list (links shown as
    text, e.g. the customer's tracking link, are left out)."""
    found = []
    text = re.sub(r"https?://\S+", " ", text)
    for token in re.findall(r"[A-Za-z][\w.@+-]*[A-Za-z0-9]|[A-Za-z]{2,}", text):
        if token in ALLOWED_WORDS or any(p.search(token) for p in ALLOWED_PATTERNS):
            continue
        if len(re.sub(r"[^A-Za-z]", "", token)) < 2:
            continue
        found.append(token)
    return found


class Desk:
    """A logged-in browser tab that counts the clicks of a task, takes a
    screenshot of every step and checks each page for English text."""

    def __init__(self, page, base_url: str, name: str, allowed: set[str] | None = None):
        self.page = page
        self.base_url = base_url
        self.clicks = 0
        self.step = 0
        self.dir = SCREENSHOTS / name
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("*.png"):
            old.unlink()
        self.allowed = allowed or set()

    # --- navigation ---------------------------------------------------------
    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def login(self, username: str) -> None:
        """Log in through the form (not counted: the task starts after login)."""
        self.goto("/admin/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("input[type=submit]")
        self.page.wait_for_load_state()
        assert "/admin/login/" not in self.page.url, self.page.inner_text("body")[:500]
        self.clicks = 0

    def click(self, selector, *, navigates: bool = True, **kwargs) -> None:
        """One counted click (a locator or a selector); waits for the page it
        loads unless ``navigates=False``."""
        self.clicks += 1
        target = self.page.locator(selector) if isinstance(selector, str) else selector
        if navigates:
            with self.page.expect_navigation():
                target.first.click(**kwargs)
            self.page.wait_for_load_state()
        else:
            target.first.click(**kwargs)

    def select(self, selector: str, **kwargs) -> None:
        """Choosing from a drop-down: one counted click."""
        self.clicks += 1
        self.page.select_option(selector, **kwargs)

    # --- checks ---------------------------------------------------------------
    def shot(self, label: str) -> Path:
        self.step += 1
        path = self.dir / f"{self.step:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def check(self, label: str) -> str:
        """Screenshot, then no English word in the visible text; returns it."""
        self.shot(label)
        text = self.page.inner_text("body")
        words = [w for w in english_words(text) if w not in self.allowed]
        assert not words, f"English on the Chinese page ({label}): {sorted(set(words))}"
        return text

    def message(self) -> str:
        return " ".join(self.page.locator("ul.messagelist li").all_inner_texts())


@pytest.fixture(autouse=True)
def migration_data(transactional_db):
    """The rows the data migrations write (role groups, categories, SLA
    policies, calendars, indicators, standard phrases), written again
    (idempotent) in case a transactional test before this one emptied them."""
    from importlib import import_module

    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    from crm.roles import sync_role_groups

    sync_role_groups(Group, Permission)
    import_module("complaints.migrations.0002_default_data").forwards(apps, None)
    import_module("complaints.migrations.0021_phrase_seed").forwards(apps, None)
    import_module("kpi.migrations.0002_indicators_and_scorecards").create(apps, None)


@pytest.fixture
def browser_page(live_server, request):
    """A 1366 px Chromium tab; the browser is started per test (its event loop
    exists only while the test runs, so the ORM needs DJANGO_ALLOW_ASYNC_UNSAFE
    just then)."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: run scripts/install_browser.sh (make test does)"
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        context = browser.new_context(
            viewport={"width": WIDTH, "height": 900}, locale="zh-CN"
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            yield page
        finally:
            # The test ran with Playwright's loop running: the ORM's
            # connections it opened belong to that context, which Django's
            # own teardown (in the outer one) never sees. Close them here,
            # or the session outlives the test and the test database.
            connections.close_all()
            context.close()
            browser.close()
    mp.undo()


@pytest.fixture
def desk(browser_page, live_server, request):
    def make(username: str, allowed: set[str] | None = None) -> Desk:
        d = Desk(browser_page, live_server.url, request.node.name, allowed)
        d.login(username)
        return d

    return make
