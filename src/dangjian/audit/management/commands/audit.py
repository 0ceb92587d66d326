"""`dangjian audit verify`: check the audit hash chain and name the first broken event."""

from django.core.management.base import BaseCommand, CommandError

from dangjian.audit.services import verify_chain


class Command(BaseCommand):
    help = "Audit log tools."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("verify", help="recompute the HMAC-SM3 chain over every event")

    def handle(self, *args, verb, **options):
        report = verify_chain()
        if report.ok:
            self.stdout.write(f"OK: {report.checked} events, chain intact")
            return
        raise CommandError(
            f"BROKEN at event #{report.first_broken_seq} ({report.checked} verified before it): {report.reason}"
        )
