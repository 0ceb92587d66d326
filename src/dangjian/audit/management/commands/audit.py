"""`dangjian audit verify [--anchor FILE]`: check the audit hash chain (and that it still reaches
every head anchored outside the database); `dangjian audit anchor`: write the head there;
`dangjian audit partition-sql FIRST LAST` (or `--add YEAR`): print the PostgreSQL SQL that
partitions the events by year (docs/scale.md), for an operator to run; it changes nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.audit import partitioning
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

        sql = sub.add_parser(
            "partition-sql", help="print the SQL partitioning events by year (PostgreSQL)"
        )
        sql.add_argument("first", type=int, nargs="?", help="first calendar year")
        sql.add_argument("last", type=int, nargs="?", help="last calendar year")
        sql.add_argument("--add", type=int, metavar="YEAR", help="only a coming year's partition")

    def handle(self, *args, verb, **options):
        if verb == "partition-sql":
            self._partition_sql(options["first"], options["last"], options["add"])
            return
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

    def _partition_sql(self, first, last, add):
        if add is not None:
            self.stdout.write(partitioning.year_partition(add))
            return
        if first is None or last is None:
            raise CommandError("give FIRST and LAST years, or --add YEAR")
        try:
            self.stdout.write(partitioning.script(first, last), ending="")
        except ValueError as exc:
            raise CommandError(str(exc)) from None
