from django.apps import AppConfig


class DutiesConfig(AppConfig):
    name = "dangjian.duties"
    label = "duties"
    verbose_name = "党建工作责任制"

    def ready(self) -> None:
        from dangjian.duties.services.dissolution import withdraw_for_dissolution
        from dangjian.orgs.signals import organization_dissolved

        organization_dissolved.connect(
            withdraw_for_dissolution, dispatch_uid="dangjian.duties.withdraw_for_dissolution"
        )
