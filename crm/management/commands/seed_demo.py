"""``manage.py seed_demo``: demo data for an express-delivery company, in Chinese.

Deterministic for a given ``--seed`` and idempotent: a second run adds nothing
that is already there. Each app contributes its own part through ``<app>.demo``
(a module with ``seed(ctx)``), called in dependency order.
"""

import importlib
import os
import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from crm.demo import DEMO_PASSWORD, DemoContext
from crm.notifications import deliveries_deferred

APP_ORDER = ("crm", "complaints", "aftersales", "training", "kpi")


class Command(BaseCommand):
    help = "Create realistic, deterministic demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed")
        parser.add_argument(
            "--customers", type=int, default=300, help="number of demo customers"
        )
        parser.add_argument(
            "--complaints",
            type=int,
            default=1200,
            help="number of demo complaints (bulk inserted; up to 1,000,000)",
        )
        parser.add_argument(
            "--staff-extra",
            type=int,
            default=0,
            help="extra front-line agents beyond the ~40 named demo staff",
        )
        parser.add_argument(
            "--skip",
            action="append",
            default=[],
            choices=APP_ORDER[1:],
            help="skip an app's demo data (repeatable)",
        )

    def handle(self, *args, **options):
        ctx = DemoContext(
            seed=options["seed"],
            rng=random.Random(options["seed"]),
            customers=options["customers"],
            complaints=options["complaints"],
            staff_extra=options["staff_extra"],
            stdout=self.stdout,
            style=self.style,
        )
        started = time.monotonic()
        # Under DEBUG (the local settings of ``make run``) Django's debug cursor
        # keeps the SQL of the last 9,000 queries: at a million complaints those
        # are bulk INSERTs of thousands of rows each (hundreds of MB held, each
        # one formatted). The demo writes history, not requests: no query log.
        debug, settings.DEBUG = settings.DEBUG, False
        try:
            with deliveries_deferred():
                self._seed_apps(ctx, options)
        finally:
            settings.DEBUG = debug
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f}s.")
        )
        self._print_logins(ctx)

    def _seed_apps(self, ctx, options):
        apps = [a for a in APP_ORDER if a not in options["skip"]]
        modules = {}
        for app_label in apps:
            try:
                modules[app_label] = importlib.import_module(f"{app_label}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app_label}.demo":
                    raise
        # An app may ask an earlier one to call it back (``ctx.shared``): the
        # KPI rollups are built while the complaints demo goes on.
        for module in modules.values():
            if hasattr(module, "prepare"):
                module.prepare(ctx)
        for number, app_label in enumerate(apps, start=1):
            module = modules.get(app_label)
            if module is None:
                continue
            # Progress: which step of how many, before the (long) step runs.
            self.stdout.write(f"[{number}/{len(apps)}] {app_label} …")
            self.stdout.flush()
            step = time.monotonic()
            module.seed(ctx)
            self.stdout.write(f"  {app_label}: done in {time.monotonic() - step:.1f}s")

    def _print_logins(self, ctx):
        # The address ``make run`` serves (scripts/run.sh reads HOST and PORT).
        host = os.environ.get("HOST", "127.0.0.1")
        port = os.environ.get("PORT", "8000")
        self.stdout.write("")
        self.stdout.write(
            f"Demo logins (http://{host}:{port}/admin/), password for all: "
        )
        self.stdout.write(f"  {DEMO_PASSWORD}")
        for username, role, name in ctx.logins:
            self.stdout.write(f"  {username:<16} {role:<22} {name}")
