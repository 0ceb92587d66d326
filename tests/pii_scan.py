"""A pytest plugin: no audit event written anywhere in the suite may carry a full ID number or
mobile number in its message, object name or changes, unless it is the audited reveal itself.

Every event goes through `audit.services._payload` (single and bulk appends alike), so the plugin
wraps it for the session, collects offenders, and fails the run at its end naming them. Under
pytest-xdist each worker collects its own and hands them to the controller, which fails the run.
Log lines are covered by `core.logredact` and tests/audit/test_log_redaction.py.
"""

from __future__ import annotations

import json

import pytest

from dangjian.core.logredact import ID_NUMBER, MOBILE

OFFENDERS: list[str] = []


def _scan(event) -> None:
    if event.action == "reveal":
        return
    text = " ".join(
        [event.message, event.object_repr, json.dumps(event.changes, ensure_ascii=False)]
    )
    for pattern in (ID_NUMBER, MOBILE):
        found = pattern.search(text)
        if found:
            OFFENDERS.append(
                f"{event.action} {event.object_type}: …{text[max(0, found.start() - 40) : found.end() + 10]}…"
            )


def pytest_configure(config) -> None:
    from dangjian.audit import services

    original = services._payload

    def scanned(event):
        _scan(event)
        return original(event)

    services._payload = scanned


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """Under pytest-xdist, on the controller: gather what each worker found (a worker's own exit
    status does not reach the controller, so the workers hand their offenders over)."""
    OFFENDERS.extend(getattr(node, "workeroutput", {}).get("pii_offenders", []))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller reports
        workeroutput["pii_offenders"] = list(OFFENDERS)
        return
    if OFFENDERS:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = "\n".join(OFFENDERS[:20])
        message = f"\n{len(OFFENDERS)} audit events carry a full ID or phone number:\n{lines}\n"
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
