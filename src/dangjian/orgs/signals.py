"""Signals of the organization tree for the apps above it, which the tree's own services may not
import (the layers in pyproject.toml): each app connects its receiver in its AppConfig.ready."""

from django.dispatch import Signal

# Sent inside the dissolution's transaction (structure.services.dissolve_organization), after
# the organization's spell is cut, with organization=, on= (the first day it no longer exists),
# actor= and merged_into= (the organization it merges into, or None). A receiver does its own
# audited writes; an exception (a ServiceValidationError saying what to do first) undoes the
# dissolution.
organization_dissolved = Signal()
