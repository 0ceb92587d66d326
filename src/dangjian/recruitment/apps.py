from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "dangjian.recruitment"
    label = "recruitment"
    verbose_name = "发展党员"

    def ready(self) -> None:
        from dangjian.orgs.signals import organization_dissolved
        from dangjian.recruitment.dissolution import move_for_dissolution

        organization_dissolved.connect(
            move_for_dissolution, dispatch_uid="dangjian.recruitment.move_for_dissolution"
        )
