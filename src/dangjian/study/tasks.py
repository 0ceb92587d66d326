"""Background tasks of the study app (run by the database task worker)."""

from django_tasks import task

from dangjian.study import services_ocr


@task()
def recognise_scan(material_id: int) -> None:
    services_ocr.recognise(material_id)
