"""No personal data in log lines: ID numbers and mobile numbers in a log message are replaced
by a placeholder before any handler writes it (Django's "Not Found: /members/<ID>/" warnings,
an exception's text, a third-party library's message). The access log of `dangjian serve`
drops query strings and referrers and masks the path the same way (`core.accesslog`)."""

from __future__ import annotations

import logging
import re

# 18-character ID numbers (the last may be X) and 11-digit mainland mobile numbers, not inside a
# longer run of digits.
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def redact(text: str) -> str:
    return MOBILE.sub("[手机号]", ID_NUMBER.sub("[身份证号]", text))


class RedactFilter(logging.Filter):
    """A handler filter: rewrites the record's message with `redact` (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # The traceback is formatted by the handler later: format and redact it now.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
