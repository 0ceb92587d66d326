"""Rows checked ahead: a second process validates, encrypts and hashes chunk N+1 while the
import writes chunk N.

A first import spends about half its time on per-row work that needs no database: cleaning the
cells, the member data's validation, the blind indexes, the import digest's row material, and
for a new member its filled columns (pinyin keys, SM4-GCM ciphertexts, the import digest) and the
changes its audit event lists. `Ahead` forks one helper process that does exactly that, with
the same functions the import calls in line (`rows.prepare_row`, `fill_new`), and hands back
plain values. Everything that reads or writes the database, matches rows to stored members,
rejects repeats, classifies, counts and writes stays in the importing process, in the same order
as without the helper, so reports, errors, strict mode and what is stored are the same.

The helper never touches the database and ends with `os._exit` (multiprocessing's fork start), so
the connection it inherits is neither used nor closed by it (as `study`'s library import's
workers). Only the importing process and its helper hold the rows' plaintext, in memory and in
the pipe between them, never in a file. A helper that fails or dies makes the import check the
rows in line from then on: the result is the same, only slower.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings

from dangjian.audit.services import diff
from dangjian.crypto import KeyRing, default_keyring

from . import digest, fresh
from .reader import Roster
from .rows import Prepared, Targets, prepare_row
from .sheet import RawRow

# Off in tests that compare both paths; the importer also asks `worth_it` first.
ENABLED = True


class Checked:
    """One row as the helper saw it: what the import would compute for it in line."""

    __slots__ = ("changes", "member", "quick", "material", "result")

    def __init__(
        self,
        quick: tuple[str, str] | None,
        material: bytes | None,
        result: Prepared | list,
        member: fresh.NewMember | None = None,
        changes: dict | None = None,
    ) -> None:
        self.quick = quick
        self.material = material  # None from the helper: rebuilt where needed
        self.result = result
        self.member = member  # the new member a "create" of this row inserts, filled
        self.changes = changes  # and its audit event's changes


FillNew = Callable[[dict, Prepared, dt.date, KeyRing], fresh.NewMember]


def check_rows(
    raws: list[RawRow], targets: Targets, today: dt.date, fill_new: FillNew
) -> list[Checked]:
    """Each row's quick index, digest material and checked result, and for a row that checks
    the member its creation would insert (the importer's own `fill_new`) with its event's
    changes."""
    keyring = default_keyring()
    blank = fresh.blank()
    out = []
    for raw in raws:
        quick = digest.quick_index(raw.values, keyring)
        material = digest.material(raw.values, today)
        result = prepare_row(raw, targets, today, known_index=quick, keyring=keyring)
        if isinstance(result, list):
            out.append(Checked(quick, material, result))
            continue
        result.material = material
        member = fill_new(blank, result, today, keyring)
        out.append(Checked(quick, material, result, member, diff(None, member.audit_fields())))
    return out


# What crosses the pipe: plain tuples (pickling model instances and slotted records costs
# more than the work saved), and nothing the importer can rebuild: the row material (it needs it
# only for rows matching a stored member), the plaintext a new member remembers (its clean ID
# number and phone), the creation event's field names (one tuple for all rows alike).
# Organizations go by id and come back as the Targets' own.
def _packed(rows: list[Checked]) -> list[tuple]:
    out: list[tuple] = []
    names: dict[tuple, tuple] = {}
    for c in rows:
        result = c.result
        if isinstance(result, list):
            out.append((c.quick, result))
            continue
        group = result.party_group
        assert c.member is not None and c.changes is not None
        keys = tuple(c.changes)
        out.append(
            (
                c.quick,
                (result.row, result.clean, result.index, result.phone_index),
                result.organization.pk,
                group.pk if group is not None else None,
                fresh.row(c.member),
                names.setdefault(keys, keys),
                tuple([change[1] for change in c.changes.values()]),
            )
        )
    return out


def _unpacked(rows: list[tuple], orgs: dict[int, Any]) -> list[Checked]:
    out = []
    for item in rows:
        if len(item) == 2:
            out.append(Checked(item[0], None, item[1]))
            continue
        quick, (row, clean, index, phone_index), org, group, values, keys, news = item
        result = Prepared(
            row=row,
            clean=clean,
            index=index,
            phone_index=phone_index,
            organization=orgs[org],
            party_group=orgs[group] if group is not None else None,
        )
        member = fresh.NewMember(dict(zip(fresh.COLUMNS, values, strict=True)))
        member._plaintext = (
            member.id_number_encrypted,
            clean["id_number"],
            member.phone_encrypted,
            clean["phone"],
        )
        member._changes = {key: [None, new] for key, new in zip(keys, news, strict=True)}
        out.append(Checked(quick, None, result, member))
    return out


def _serve(
    connection,
    rows: Iterator[RawRow],
    size: int,
    targets: Targets,
    today: dt.date,
    fill_new: FillNew,
) -> None:
    """The helper's loop: the file's next chunk, checked, into the pipe, until the file ends
    (then None) or the importer goes away. A full pipe holds it back: it runs at most a chunk
    or two ahead of the importer."""
    try:
        while chunk := list(itertools.islice(rows, size)):
            try:
                packed: list | str = _packed(check_rows(chunk, targets, today, fill_new))
            except Exception as exc:  # the importer checks the rows in line instead
                packed = repr(exc)
            connection.send((chunk[0].row_number, chunk[-1].row_number, packed))
            if isinstance(packed, str):
                return
        connection.send(None)
    except (OSError, EOFError):  # the importer closed the pipe
        return
    finally:
        connection.close()


def worth_it(rows_left: int) -> bool:
    """A helper pays only on large files, with a second core nobody else is using, in a
    process with no other threads (forking a threaded process can copy a lock another thread
    holds).

    The helper adds CPU (it reads the rows again; its work crosses a pipe), so on a machine
    whose cores are busy it makes the import slower, not faster: the kernel shares the cores
    between sessions, not processes, so the two processes then share what one had (bench/README.md,
    branch import19e). Hence the idle cores are measured while this process waits."""
    cores = os.cpu_count() or 1
    return (
        ENABLED
        and settings.IMPORT_AHEAD
        and rows_left >= 2000
        and cores > 1
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
        and idle_cores() >= cores - IDLE_MARGIN
    )


IDLE_MARGIN = 0.5  # of a core: what others may use for the helper still to pay


def idle_cores(window: float = 0.1) -> float:
    """How many cores were idle over `window` seconds (Linux `/proc/stat`; 0 elsewhere)."""
    try:
        first = _cpu_times()
        time.sleep(window)
        second = _cpu_times()
    except (OSError, ValueError, IndexError):
        return 0.0
    idle, total = second[0] - first[0], second[1] - first[1]
    return (os.cpu_count() or 1) * idle / total if total > 0 else 0.0


def _cpu_times() -> tuple[int, int]:
    """(idle, all) jiffies of all cores since boot: idle and I/O wait, and the eight times."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(v) for v in stat.readline().split()[1:9]]
    return fields[3] + fields[4], sum(fields)


class Ahead:
    """The helper process. It reads the same file from where the importer has got to (its own
    pass over the rows: `Roster.iter_rows` may be called again) and sends each chunk checked;
    the importer reads its own rows as before and takes the helper's work for them. Only the
    helper writes to the pipe, so neither side can block the other beyond a full pipe."""

    def __init__(
        self,
        roster: Roster,
        done: int,
        size: int,
        targets: Targets,
        today: dt.date,
        fill_new: FillNew,
    ) -> None:
        context = multiprocessing.get_context("fork")
        self.connection, theirs = context.Pipe(duplex=False)
        rows = itertools.islice(roster.iter_rows(), done, None)
        self.process = context.Process(
            target=_serve, args=(theirs, rows, size, targets, today, fill_new), daemon=True
        )
        # The helper's collections must not walk (and so copy, page by page) the whole heap it
        # shares with this process: what exists now is frozen for it, and thawed again here.
        gc.freeze()
        try:
            self.process.start()
        finally:
            gc.unfreeze()
        theirs.close()
        self.orgs: dict[int, Any] = dict(targets.by_id)
        self.orgs.setdefault(targets.root.pk, targets.root)
        self.broken = False

    def receive(self, raws: list[RawRow]) -> list[Checked] | None:
        """The helper's work on these rows (the importer's next chunk); None when the helper
        failed or is out of step (check them in line from now on)."""
        if self.broken:
            return None
        # Thousands of small containers at once: a collection in the middle of them would
        # walk the whole heap for nothing (they are all alive).
        collecting = gc.isenabled()
        gc.disable()
        try:
            message = self.connection.recv()
            if message is not None:
                first, last, rows = message
                if (
                    not isinstance(rows, str)
                    and (first, last) == (raws[0].row_number, raws[-1].row_number)
                    and len(rows) == len(raws)
                ):
                    return _unpacked(rows, self.orgs)
        except (OSError, EOFError):
            pass
        finally:
            if collecting:
                gc.enable()
        self.broken = True
        return None

    def close(self) -> None:
        self.connection.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
