"""A task for the backend tests: it proves a worker in another process ran it."""

from django.tasks import task


@task
def add(a: int, b: int) -> int:
    return a + b
