from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "dangjian.desk"
    label = "desk"
    verbose_name = "工作台"
