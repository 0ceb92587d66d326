"""The per-member import digest: what lets a re-import skip a row it has already written.

A row's cells decide everything the import does with it (validation, the status it infers, the
keys, what it writes), given three things outside the row: the branches the actor may write into
(checked again on every re-import, `_Run.unchanged`), the day (only an inferred status depends
on it: see `material`) and the code's rules (`VERSION`). When the import writes a member, or
finds one unchanged, it stores

    import_digest = HMAC-SM3(import-digest key, VERSION ‖ the row's cells ‖ the record's state)

where the state is every field the import compares or classifies by (`existing.STATE_FIELDS`:
the imported fields, the ID and phone indexes, the branch, the party group, the leave date), as
the import left them. A re-import reads the stored state with the member anyway (one query per
chunk), hashes the new row's cells with it and compares: equal means the same cells met the same
record, so the row is unchanged and needs no validation, pinyin or encryption.

Because the state is inside the digest, any later write to those fields, by any path (a form, the
API, a transfer, a confirmation, a bulk update, SQL by hand), makes the stored digest stop
matching: such a row goes through the full path again, as it did before digests existed. The key
is the server's own (crypto.KeyRing.import_digest), so the stored value is no plain hash of
personal data that could be brute-forced; a key rotation changes it, and rows then take the full
path once and are stored again with the new key.

Rows whose import gave warnings (a 15-digit ID number converted) get no digest, so each re-import
shows their warnings again.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Mapping
from typing import Any

from dangjian.crypto import KeyRing, default_keyring

from .cells import clean_text
from .existing import STATE_FIELDS

# Bump when validation or classification changes what a row produces: every stored digest then
# stops matching and rows are checked in full once.
VERSION = b"dangjian/roster-row/v1\x00"

_ID18 = re.compile(r"[0-9]{17}[0-9X]")


def quick_index(
    values: Mapping[str, Any], keyring: KeyRing | None = None
) -> tuple[str, str] | None:
    """The row's ID number and its blind index when the cell is already a clean 18-character
    text (nearly every row), to find the stored member before any validation; None otherwise.

    A wrong guess cannot make a row "unchanged": the digest also covers the raw cell and the
    stored member's own index."""
    value = values.get("id_number")
    if not isinstance(value, str):
        return None
    text = value.strip().upper()
    if not _ID18.fullmatch(text):
        return None
    return text, (keyring or default_keyring()).blind_index(text)


def _filled(value: object) -> bool:
    return value is not None and (not isinstance(value, str) or bool(clean_text(value)))


def material(values: Mapping[str, Any], today: dt.date) -> bytes:
    """The row's cells, column by column, typed (`repr`: a number is not the text of that
    number, and a date is not its text).

    The columns present are part of it: a file without the phone column must not match a row
    imported with one. The day is part of it only for a row whose status is inferred from an
    admission date without a confirmation date (probationary until the longest probation ends,
    then a question): every other check that reads the day only refuses dates after it, so a row
    that passed once passes on any later day."""
    day = ""
    if not _filled(values.get("status")) and not _filled(values.get("confirmed_on")):
        day = today.isoformat()
    return VERSION + repr((list(values.items()), day)).encode("utf-8")


_STATE = operator.attrgetter(*STATE_FIELDS)


def state_of(record: Any) -> tuple[str | None, ...]:
    """The state a digest binds, from a `Member` or an `existing.Stored`, as text."""
    return tuple([None if value is None else str(value) for value in _STATE(record)])


def digest(row: bytes, record: Any, keyring: KeyRing | None = None) -> str:
    """`keyring`: the default one, when the caller asked for it already (once per chunk: asking
    goes through Django's settings object, a few microseconds a call)."""
    message = row + b"\x00" + repr(state_of(record)).encode("utf-8")
    return (keyring or default_keyring()).import_digest(message)
