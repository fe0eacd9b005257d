"""``manage.py create_api_key --partner NAME --scopes a,b`` — prints the key last."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from config.api.scopes import Scope
from config.errors import DomainError
from partners.services import api_key_create, partner_get_or_create


class Command(BaseCommand):
    help = (
        "Create an API key for a partner organisation (created if needed) and print "
        "the key alone on the last line. The key is shown only this once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--partner", required=True, help="partner organisation name or code"
        )
        parser.add_argument(
            "--scopes",
            required=True,
            help="comma-separated, among: " + ", ".join(Scope.values),
        )
        parser.add_argument("--name", default="", help="label of the key")
        parser.add_argument(
            "--expires-in-days", type=int, default=None, help="expiry, in days"
        )

    def handle(self, *args, **options):
        partner, created = partner_get_or_create(name=options["partner"].strip())
        expires_at = None
        if options["expires_in_days"]:
            expires_at = timezone.now() + timedelta(days=options["expires_in_days"])
        try:
            key, raw = api_key_create(
                actor=None,
                partner=partner,
                name=options["name"] or "create_api_key",
                scopes=options["scopes"].split(","),
                expires_at=expires_at,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if created:
            self.stdout.write(f"Created partner organisation {partner.name}")
        self.stdout.write(
            f"API key {key.prefix} for {partner.name}, scopes {','.join(key.scopes)}"
        )
        self.stdout.write(raw)
