"""QR self check-in tokens: signed, bound to one meeting, rotating every 30 s, valid for 60 s.

Pure functions (no HTTP, no database): the secretary's screen shows `issue_token()` as a QR code
and refreshes it; the member's phone opens the check-in URL, and `read_token()` says which
meeting it is for or why it is refused. `now` (seconds since the epoch) may be given so the
rules can be tested at any instant; it defaults to the clock.
"""

from __future__ import annotations

import time
from typing import Final

from django.core import signing
from django.core.signing import b62_decode, b62_encode, b64_decode

__all__ = [
    "ROTATE_SECONDS",
    "SALT",
    "VALID_SECONDS",
    "CheckinError",
    "issue_token",
    "read_token",
    "seconds_to_rotation",
]

SALT: Final = "dangjian.meetings.checkin"
# A new code every 30 s; each stays valid for 60 s from the start of its window, so a code
# that has just been replaced on the screen still works for the member who scanned it.
ROTATE_SECONDS: Final = 30
VALID_SECONDS: Final = 60

FORGED: Final = "签到码无效（可能被篡改），请扫描会场屏幕上的二维码"
EXPIRED: Final = "签到码已过期，请重新扫描会场屏幕上的最新二维码"
OTHER_MEETING: Final = "该签到码属于另一次会议，不能用于本次会议签到"


class CheckinError(Exception):
    """A refused check-in token, with the Chinese message to show."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _clock(now: float | None) -> float:
    return time.time() if now is None else now


def _window_start(now: float) -> int:
    return int(now) // ROTATE_SECONDS * ROTATE_SECONDS


class _WindowSigner(signing.TimestampSigner):
    """A TimestampSigner whose timestamp is the start of the current 30-second window.

    Every request within one window gets the same token, so the screen may poll as often as it
    likes; and the timestamp comes from `now`, so tests need not wait.
    """

    def __init__(self, now: float | None = None):
        super().__init__(salt=SALT, algorithm="sha256")
        self._now = now

    def timestamp(self) -> str:
        return b62_encode(_window_start(_clock(self._now)))


def issue_token(meeting_id: int, *, now: float | None = None) -> str:
    """The check-in token for `meeting_id` in the current window (URL-safe, no slash)."""
    if isinstance(meeting_id, bool) or not isinstance(meeting_id, int) or meeting_id < 1:
        raise ValueError(f"bad meeting id: {meeting_id!r}")
    return _WindowSigner(now).sign_object({"p": "checkin", "m": meeting_id})


def read_token(token: str, *, meeting_id: int | None = None, now: float | None = None) -> int:
    """The meeting id a token was issued for; CheckinError when forged, for another meeting
    (when `meeting_id` is given), or older than VALID_SECONDS."""
    signer = _WindowSigner(now)
    try:
        # The plain Signer check: the signature covers the payload and the timestamp together.
        raw = signing.Signer.unsign(signer, str(token))
        body, stamp = raw.rsplit(signer.sep, 1)
        issued = b62_decode(stamp)
        payload = signing.JSONSerializer().loads(b64_decode(body.encode()))
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        raise CheckinError(FORGED) from None
    if not isinstance(payload, dict) or payload.get("p") != "checkin":
        raise CheckinError(FORGED)
    bound = payload.get("m")
    if isinstance(bound, bool) or not isinstance(bound, int):
        raise CheckinError(FORGED)
    if meeting_id is not None and bound != meeting_id:
        raise CheckinError(OTHER_MEETING)
    age = _clock(now) - issued
    if age > VALID_SECONDS:
        raise CheckinError(EXPIRED)
    if age < -ROTATE_SECONDS:
        # Issued in the future: only a clock far off or a key leak can do that.
        raise CheckinError(FORGED)
    return bound


def seconds_to_rotation(*, now: float | None = None) -> int:
    """Seconds until the screen shows the next code (1–30)."""
    current = _clock(now)
    return max(1, int(_window_start(current) + ROTATE_SECONDS - current))
