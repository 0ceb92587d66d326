"""The operators' tools: key rotation, backup and restore, the auditor's pages."""

from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "dangjian.ops"
    label = "ops"
    verbose_name = "运维"
