from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    name = "dangjian.audit"
    label = "audit"

    def ready(self) -> None:
        from dangjian.audit.purge import install_sqlite_gate

        connection_created.connect(install_sqlite_gate, dispatch_uid="dangjian.audit.sqlite_gate")
