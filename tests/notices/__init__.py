"""Tests of the notices app: delivering and reading notices, e-mail, the registry of notice
kinds and to-do providers, and the move of the notices' table out of `duties`."""
