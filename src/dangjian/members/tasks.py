"""Background tasks of the members app (run by the database task worker)."""

from django_tasks import task

from dangjian.members.roster import jobs


@task()
def preview_roster(job_id: int) -> None:
    jobs.run_preview(job_id)


@task()
def apply_roster(job_id: int) -> None:
    jobs.run_apply(job_id)
