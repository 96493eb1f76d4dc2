"""A worker's long-lived objects frozen out of the full collections (cll/core/longlived.py)."""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
import textwrap

import pytest
from asgiref.compatibility import is_double_callable

from cll.core import longlived


def test_the_garbage_is_collected_and_what_is_alive_frozen():
    # In a process of its own: freezing here would freeze the suite's objects (conftest.py).
    program = textwrap.dedent(
        """
        import gc, weakref
        from cll.core.longlived import freeze_alive

        class Node:
            def __init__(self):
                self.itself = self  # a reference cycle: only the cyclic collector frees it

        alive, garbage = Node(), Node()
        garbage_ref = weakref.ref(garbage)
        del garbage
        tracked = lambda thing: any(candidate is thing for candidate in gc.get_objects())
        assert garbage_ref() is not None and tracked(alive)
        frozen_before = gc.get_freeze_count()

        freeze_alive()

        print(garbage_ref() is None, tracked(alive), gc.get_freeze_count() > frozen_before)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )

    # The garbage collected, not frozen for the worker's life; what is alive out of every
    # collection's sight (gc.get_objects() lists what collections visit) from now on.
    assert run.stdout.split() == ["True", "False", "True"]


def test_a_warm_worker_freezes_at_its_milestones_and_serves_every_request(monkeypatch):
    frozen_at: list[int] = []
    served: list[int] = []

    def application(environ, start_response):
        served.append(environ["n"])
        start_response("200 OK", [])
        return [b"page %d" % environ["n"]]

    monkeypatch.setattr(longlived, "freeze_alive", lambda: frozen_at.append(len(served) + 1))
    wrapped = longlived.FrozenWhenWarm(application, milestones=(3, 10, 50))

    bodies = [wrapped({"n": n}, lambda *args: None) for n in range(1, 201)]

    assert frozen_at == [3, 10, 50]  # before serving those requests, once each
    assert served == list(range(1, 201))
    assert bodies == [[b"page %d" % n] for n in range(1, 201)]
    assert wrapped._warm  # past the last milestone: no more counting


def test_an_asgi_worker_freezes_at_its_milestones_and_serves_every_connection(monkeypatch):
    frozen_at: list[int] = []
    served: list[int] = []

    async def application(scope, receive, send):
        served.append(scope["n"])
        await send({"n": scope["n"]})

    monkeypatch.setattr(longlived, "freeze_alive", lambda: frozen_at.append(len(served) + 1))
    wrapped = longlived.FrozenWhenWarmASGI(application, milestones=(3, 10, 50))
    sent = []

    async def send(message):
        sent.append(message)

    async def serve():
        for n in range(1, 201):
            await wrapped({"n": n}, None, send)

    asyncio.run(serve())

    assert frozen_at == [3, 10, 50]
    assert served == list(range(1, 201))
    assert sent == [{"n": n} for n in range(1, 201)]
    # An ASGI 3 application, as servers tell it (asgiref's test).
    assert not is_double_callable(wrapped)


@pytest.mark.django_db  # the serving checks they run read the database
@pytest.mark.parametrize(
    ("module", "kind"),
    [("cll.wsgi", longlived.FrozenWhenWarm), ("cll.asgi", longlived.FrozenWhenWarmASGI)],
)
def test_the_applications_freeze_at_start_and_when_warm(monkeypatch, module, kind):
    frozen = []
    monkeypatch.setattr(longlived, "freeze_alive", lambda: frozen.append("start"))
    # A server imports the module once, when it starts.
    monkeypatch.delitem(sys.modules, module, raising=False)

    loaded = importlib.import_module(module)

    assert frozen == ["start"]
    assert isinstance(loaded.application, kind)
    assert loaded.application._milestones == frozenset(longlived.WARM_MILESTONES)
