"""`dangjian audit verify [--anchor FILE]`: check the audit hash chain (and that it still reaches
every head anchored outside the database); `dangjian audit anchor`: write the head there."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.audit.anchor import AnchorError, check_anchors, read_anchors, write_anchor
from dangjian.audit.services import verify_chain


class Command(BaseCommand):
    help = "Audit log tools."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        verify = sub.add_parser("verify", help="recompute the HMAC-SM3 chain over every event")
        verify.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="FILE",
            help="an anchor file: fail if the chain is shorter than or differs from a head in it",
        )
        anchor = sub.add_parser("anchor", help="append the chain's head to the anchor file")
        anchor.add_argument("--file", default=None, help="default: DANGJIAN_AUDIT_ANCHOR_FILE")
        anchor.add_argument("--syslog", action="store_true", help="also write it to syslog")

    def handle(self, *args, verb, **options):
        if verb == "anchor":
            self._anchor(options["file"], options["syslog"])
            return
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"BROKEN at event #{report.first_broken_seq} ({report.checked} verified before it): "
                f"{report.reason}"
            )
        anchored = 0
        for name in options["anchor"]:
            try:
                anchors = read_anchors(Path(name))
            except AnchorError as exc:
                raise CommandError(str(exc)) from None
            problem = check_anchors(anchors)
            if problem:
                raise CommandError(f"BROKEN against anchor {name}: {problem}")
            anchored += len(anchors)
        suffix = f", matches {anchored} anchored heads" if options["anchor"] else ""
        self.stdout.write(f"OK: {report.checked} events, chain intact{suffix}")

    def _anchor(self, file, to_syslog):
        try:
            anchor = write_anchor(Path(file) if file else None, to_syslog=to_syslog or None)
        except AnchorError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"anchored: #{anchor.seq} {anchor.hash} at {anchor.at}")
