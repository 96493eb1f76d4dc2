"""The garbage collector's full-collection pause in a warm web worker (cll/core/longlived.py).

Run (from the repository root):

    .venv/bin/python bench/gc_pause.py

A full collection holds the GIL while it visits every object the collector tracks, so every
thread of the worker waits for it: on a page served at that moment it is added to the latency
(the p99 of bench/pages.py). This prepares the same throw-away production environment as
bench/pages.py (fresh SQLite database, ``load_demo --sessions 500``, the demo learner signed
in), loads the application as granian does (``cll.wsgi``, which freezes what is alive at
start), serves the signed-in pages (``--requests`` each, through Django's application itself,
so that no warm-up freeze happens yet), then times ``gc.collect()`` (the median of
``--collections``) with:

- nothing frozen (``gc.unfreeze()``): the baseline, a worker before cll/core/longlived.py;
- what was alive at start frozen, what the pages loaded since not;
- that too frozen, as ``FrozenWhenWarm`` does after the worker's first requests.

It prints, for each, the objects a full collection visits, the pause in ms and its ratio to the
baseline. Options: ``--requests 200`` (per page), ``--collections 7``, ``--keep``.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages  # the sibling harness: same environment, same set-up
import profile_page  # its in-process request

PATHS = ("/bench/hello", "/fr/", "/fr/courses/", "/fr/account/profile/", "/fr/account/privacy/")


def pause_ms(collections: int) -> tuple[int, float]:
    """The objects a full collection visits, and the median time of ``collections`` of them."""
    gc.collect()  # what is garbage now is not the pause of a worker in its steady state
    times = []
    for _ in range(collections):
        started = time.perf_counter()
        gc.collect()
        times.append((time.perf_counter() - started) * 1000)
    return len(gc.get_objects()), statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--collections", type=int, default=7, help="timed collections")
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the temporary environment")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="cll-bench-gc-"))
    try:
        env = pages.production_environment(workdir)
        pages.log(f"throw-away production environment in {workdir}")
        pages.prepare(env, sessions=args.sessions)
        if not pages.load_demo_accounts(env):
            raise pages.HarnessError("no load_demo_accounts command: cannot sign in")
        profile_page.COOKIE = pages.signed_in_cookies(env)
        os.environ.clear()
        os.environ.update(env)
        sys.path.insert(0, str(pages.REPO))
        from cll.wsgi import application

        django_application = application.application  # without the warm-up freezes
        for path in PATHS:
            status, _size = profile_page.request(django_application, path)
            if not status.startswith("200"):
                raise pages.HarnessError(f"{path} answered {status}")
            for _ in range(args.requests):
                profile_page.request(django_application, path)

        start_only = pause_ms(args.collections)
        gc.freeze()  # what FrozenWhenWarm does after its first requests (after a collection)
        warm = pause_ms(args.collections)
        gc.unfreeze()
        baseline = pause_ms(args.collections)
    except pages.HarnessError as exc:
        print(f"gc_pause could not run: {exc}", file=sys.stderr)
        return 2
    finally:
        pages.workdir_done(workdir, keep=args.keep)

    python = sys.version.split()[0]
    print(f"\nfull collection in a warm worker, median of {args.collections} (Python {python})")
    print(f"{'objects frozen':<34}{'objects visited':>16}{'pause ms':>10}{'ratio':>8}")
    for label, (objects, ms) in (
        ("none (baseline)", baseline),
        ("alive at start", start_only),
        ("alive at start and when warm", warm),
    ):
        print(f"{label:<34}{objects:>16,}{ms:>10.3f}{ms / baseline[1]:>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
