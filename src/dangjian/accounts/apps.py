from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dangjian.accounts"
    label = "accounts"

    def ready(self) -> None:
        from dangjian.accounts import signals  # noqa: F401
