from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "dangjian.meetings"
    label = "meetings"
    verbose_name = "组织生活"

    def ready(self) -> None:
        # Registers the system check that refuses to start with an invalid local rule pack.
        from dangjian.meetings import packs  # noqa: F401
        from dangjian.meetings.services.planning import close_for_dissolution
        from dangjian.orgs.signals import organization_dissolved

        organization_dissolved.connect(
            close_for_dissolution, dispatch_uid="dangjian.meetings.close_for_dissolution"
        )
