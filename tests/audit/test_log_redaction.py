"""No ID or phone number in log lines: Django's own warnings pass the redacting filter, and the
access log of `dangjian serve` drops query strings and referrers and masks the path."""

from __future__ import annotations

import datetime as dt
import io
import logging
import sys
from types import SimpleNamespace

from gunicorn.config import Config

from dangjian.core.accesslog import AccessLogger
from dangjian.core.logredact import RedactFilter, redact

ID = "11010119900307123X"
PHONE = "13912345678"


def test_redact_masks_id_and_mobile_numbers_but_not_other_digits():
    text = f"id={ID} tel={PHONE} seq=123456 org=2026112510000000000001"

    assert redact(text) == "id=[身份证号] tel=[手机号] seq=123456 org=2026112510000000000001"


def test_the_filter_rewrites_message_arguments_and_tracebacks():
    try:
        raise ValueError(f"bad {ID}")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "Not Found: %s", (f"/m/{ID}/",), sys.exc_info()
        )

    assert RedactFilter().filter(record)

    assert record.getMessage() == "Not Found: /m/[身份证号]/"
    assert ID not in (record.exc_text or "")
    assert "[身份证号]" in (record.exc_text or "")


def test_a_not_found_warning_reaches_the_console_without_the_number(demo, client_for):
    [console] = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactFilter) for f in h.filters)
    ]
    stream = io.StringIO()
    # Swapped by hand, not with setStream: that flushes the old stream, which an earlier test's
    # call_command may have left bound to pytest's (now closed) capture of stderr.
    old = console.stream  # type: ignore[attr-defined]
    console.stream = stream  # type: ignore[attr-defined]
    try:
        client_for(demo.users["secretary"]).get(f"/members/{ID}/?phone={PHONE}")
    finally:
        console.stream = old  # type: ignore[attr-defined]

    err = stream.getvalue()
    assert "Not Found" in err
    assert ID not in err and PHONE not in err


def test_the_access_log_has_the_path_without_query_or_referrer_and_masks_numbers():
    logger = AccessLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/api/v1/members?q={ID}",
        "PATH_INFO": f"/members/{ID}/",
        "QUERY_STRING": f"q={ID}&phone={PHONE}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"http://x/members/?q={PHONE}",
        "REMOTE_ADDR": "10.0.0.1",
    }
    resp = SimpleNamespace(status="404 Not Found", sent=10, headers=[])

    atoms = logger.atoms(resp, SimpleNamespace(headers=[]), environ, dt.timedelta(seconds=1))
    line = logger.cfg.access_log_format % atoms

    assert ID not in line and PHONE not in line and "?" not in line
    assert '"GET /members/[身份证号]/ HTTP/1.1" 404' in line
