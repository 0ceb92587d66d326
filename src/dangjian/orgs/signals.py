"""Signals of the organization tree for the apps above it, which the tree's own services may not
import (the layers in pyproject.toml): each app connects its receiver in its AppConfig.ready."""

from django.dispatch import Signal

# Sent inside the dissolution's transaction (structure.services.dissolve_organization), after
# the organization's spell is cut, with organization=, on= (the first day it no longer exists)
# and actor=. A receiver does its own audited writes; an exception undoes the dissolution.
organization_dissolved = Signal()
