"""Background tasks of the desk app (run by the database task worker)."""

from django_tasks import task

from dangjian.desk import dossiers


@task()
def build_dossier(dossier_id: int) -> None:
    dossiers.build(dossier_id)
