from django.apps import AppConfig


class DisciplineConfig(AppConfig):
    name = "dangjian.discipline"
    label = "discipline"
    verbose_name = "纪律审查与处分"
