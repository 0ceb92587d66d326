"""Static files: content-hashed names, gzip and brotli copies, a year in browsers' caches.

WhiteNoise's CompressedManifestStaticFilesStorage does that after `collectstatic` (which `serve`
and `demo` run at every start). Before it has run (tests, a fresh checkout) or for a file added
since, the plain name is used and WhiteNoise serves the file from the package (finders) with a
short cache time, instead of failing the page.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            return name

    def compress_files(self, paths):
        # A hashed name stands for its content, so its .gz and .br from an earlier start are
        # still right: compress only what is new (brotli at its best setting is slow).
        todo = [p for p in paths if not (self.exists(p + ".gz") and self.exists(p + ".br"))]
        yield from super().compress_files(todo)
