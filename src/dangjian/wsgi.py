"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
application = get_wsgi_application()

# A wrong or missing master key stops the platform before it serves anything.
from dangjian.core.keys import KeyProblem, ensure_key  # noqa: E402

try:
    ensure_key()
except KeyProblem as exc:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(str(exc)) from None
