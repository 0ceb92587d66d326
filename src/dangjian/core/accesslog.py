"""`dangjian serve`'s access log (gunicorn `--logger-class`): the path only, without the query
string (a search's words, a member's name) or the referrer (another page's query string), and
with any ID or mobile number in the path masked (`core.logredact`)."""

from __future__ import annotations

from gunicorn.glogging import Logger

from dangjian.core.logredact import redact


class AccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact(environ.get("PATH_INFO", "") or "")
        atoms["U"] = path
        atoms["q"] = ""
        atoms["r"] = f"{environ['REQUEST_METHOD']} {path} {environ['SERVER_PROTOCOL']}"
        atoms["f"] = "-"
        return atoms
