"""Live-chat benchmark: 1,000 websocket chat clients against the production layout, and the same
clients against the bare echo consumer in the same run (issue 15, DESIGN.md §6: round-trip p99
under 50 ms, no message lost).

The load. The issue fixes the number of concurrent clients (1,000) and the latency target, not
how often each one writes. The default is **one message every 5 s per client**
(``--interval 5``: 200 messages/s, each an encrypted PostgreSQL ``INSERT``, acknowledged and
broadcast through Redis): realistic but heavy, far more than a school's chat ever carries (a
person typing writes a message every 10-30 s, and 1,000 people chatting at once would already
be an exceptional day). ``--interval 1`` (1,000 messages/s on the two shared cores) is the
**stress** run: its figures are reported too, met or not, to show where the limit lies.

Run (from the repository root; PostgreSQL on 127.0.0.1:5432 with trust authentication and Redis
on 127.0.0.1:6379, as in the development set-up), about three minutes each:

    .venv/bin/python bench/chat.py               # the documented load: 200 messages/s
    .venv/bin/python bench/chat.py --interval 1  # the stress run: 1,000 messages/s

What it does, without touching var/, your database or a Redis database in use:

1. builds the page benchmark's throw-away production environment (``bench/pages.py``: fresh
   secrets, ``CLL_ENV=production`` over plain http on loopback, ``ALLOWED_HOSTS=127.0.0.1``) in a
   temporary directory, pointed at a PostgreSQL database it creates for the run
   (``cll_bench_chat_<pid>``, dropped at the end) and at an empty Redis database it claims
   (``--redis-db``, by default the first empty one of 1 to 12: the test suite's workers use 15 and
   below), so the channel layer is channels_redis and the cache is Redis, as in production;
   then ``migrate``;
2. starts granian as production runs the ``/ws/`` workers behind the reverse proxy (README,
   "Production layout"): ``granian --interface asginl --workers 2 cll.asgi:application``;
3. runs two phases on that server, each with ``--clients`` (1,000) websocket connections spread
   over ``--processes`` (2) client processes (asyncio, ``websockets``), every one sending the
   ``Origin`` of the site (``http://127.0.0.1:<port>``, which ``AllowedHostsOriginValidator``
   checks against ``ALLOWED_HOSTS``):

   - ``echo``: ``ws/health/`` (``cll.core.consumers.EchoHealthConsumer``: every frame goes out to
     the Redis channel layer and back), the baseline;
   - ``chat``: ``ws/chat/``, each client a visitor who sends ``start`` (no e-mail) and waits for
     ``started`` (the protocol: ``cll/chat/consumers.py``).

   The clients connect over ``--ramp`` seconds (10); once all are connected, each sends one
   ``message`` with a unique ``client_id`` every ``--interval`` seconds (5; the clients' first
   sends are spread evenly over the first interval, so the server gets a steady 200 messages/s)
   for ``--warmup`` (5) + ``--duration`` (30) seconds. A message's round trip is the time from
   its send to the arrival of the ``message`` event carrying its ``client_id`` (chat: saved,
   acknowledged, broadcast through the layer; echo: echoed through the layer). Warm-up messages
   are left out of the percentiles but still checked for loss. A message whose event has not
   arrived ``--timeout`` (5) seconds after it was sent is **lost**. Acks, error frames by code
   (``flood``, ``too_long``…), unexpected closes, failed connections and the exceptions the
   server logged (by name) are counted, and so is how far each client process lagged behind its
   schedule (a starved client shows there, not as a slow server);
4. accounts for the CPU of each phase's measured window (granian, the client processes, the
   run's PostgreSQL backends, the Redis server, anyone else), so a run disturbed by other work on
   the machine is flagged, and samples the resident memory of each granian worker (/proc);
5. prints, per phase, clients connected, messages sent/received/lost, round-trip p50/p95/p99/max,
   messages/s, the server's CPU ms per message it carried through and the worker RSS; then the
   ratios chat / echo (p99, throughput, CPU per message) and whether the target (chat p99
   < 50 ms, no message lost, every client connected, no error frame) is met; writes the figures
   with the machine's facts to ``bench/results/chat-<UTC time>.json`` (git-ignored).

Exit status: 0 when the target is met (``--only echo``: the echo phase ran cleanly), 1 when it
is missed (a message lost, a client not connected, an error frame, p99 ≥ 50 ms), 2 when the
harness could not run (no PostgreSQL or Redis, migrate failed, granian did not start, a client
process failed). Options: ``--only echo|chat``, ``--clients``, ``--processes``, ``--duration``,
``--warmup``, ``--interval``, ``--ramp``, ``--timeout``, ``--workers``,
``--granian-arg=--backpressure=1024``, ``--server postgres://user@host:port``,
``--redis redis://host:port``, ``--redis-db N``, ``--profile DIR`` (cProfile in every granian
worker during each measured window: ``<phase>-worker-<pid>.pstats`` and a ``report.txt``; the
profiler sees every thread: plain functions' call counts are exact, coroutines count each
resumption, and own times across threads are mixed),
``--keep``, ``--no-save``. What-if runs, to try a channel-layer configuration before changing
the settings (printed and saved as such, never as the shipped figures): ``--layer-backend
pubsub`` (channels_redis's ``RedisPubSubChannelLayer``), ``--layer-capacity N``,
``--redis-max-connections N`` (the layer's pool per worker), ``--redis-socket-timeout S``.
See docs/benchmarks.md for the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import re
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from ledger import _server_sql  # noqa: E402
from pages import (  # noqa: E402
    HOST,
    NOISE_WARNING_PCT,
    Granian,
    HarnessError,
    RssSampler,
    _exit_on_signal,
    _process_ticks,
    _system_ticks,
    cpu_shares,
    log,
    machine_facts,
    manage,
    production_environment,
    results_write,
    workdir_done,
)

PHASES = {"echo": "/ws/health/", "chat": "/ws/chat/"}
TARGET_P99_MS = 50.0
TARGET_CLIENTS = 1000
# Seconds between a client's messages: the documented load (200 messages/s from 1,000 clients)
# and the stress run (1,000 messages/s); see the module's docstring for why.
DEFAULT_INTERVAL = 5.0
STRESS_INTERVAL = 1.0
# Seconds the harness measures the server idle, every client connected, before sending.
IDLE_SECONDS = 3
# Redis databases the benchmark may claim: the test suite's xdist workers count down from 15.
REDIS_CANDIDATE_DBS = range(1, 13)
REDIS_CLAIM_KEY = "cll:bench:chat:claimed"


# -- Set-up ------------------------------------------------------------------------------------


def _raise_open_files(needed: int) -> None:
    """One descriptor per websocket: lift the soft limit (up to the hard one) if it is short."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if wanted < needed:
        raise HarnessError(f"{needed} open files needed, the hard limit is {hard}: raise ulimit -n")


def _redis_claim(base_url: str, wanted: int | None) -> tuple[object, int]:
    """A Redis database for the run: ``wanted``, or the first empty candidate; claimed with a
    key so two runs of this benchmark never share one."""
    import redis

    for number in [wanted] if wanted is not None else REDIS_CANDIDATE_DBS:
        client = redis.Redis.from_url(f"{base_url}/{number}")
        try:
            if client.dbsize() == 0 and client.set(REDIS_CLAIM_KEY, os.getpid(), nx=True):
                return client, number
        except redis.RedisError as exc:
            raise HarnessError(f"Redis at {base_url} does not answer: {exc}") from exc
        client.close()
    raise HarnessError(f"no empty Redis database among {list(REDIS_CANDIDATE_DBS)} on {base_url}")


def _redis_pid(client) -> int | None:
    """The Redis server's process (shared with anyone else using it on this machine)."""
    with contextlib.suppress(Exception):
        return int(client.info("server")["process_id"])
    return None


def _environment(
    workdir: Path, database_url: str, redis_url: str, layer: dict[str, int]
) -> dict[str, str]:
    env = production_environment(workdir)
    env.update({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"})
    if layer:
        # A what-if run (``--layer-capacity``, ``--redis-max-connections``): the settings as
        # shipped, with only the channel layer's configuration changed, from a module in the
        # throw-away directory (the repository is not touched).
        lines = ["from cll.settings import *  # noqa: F403", "layer = CHANNEL_LAYERS['default']"]
        if layer.get("backend") == "pubsub":
            lines.append("layer['BACKEND'] = 'channels_redis.pubsub.RedisPubSubChannelLayer'")
        if "capacity" in layer:
            lines.append(f"layer['CONFIG']['capacity'] = {layer['capacity']}")
        host = {key: layer[key] for key in ("max_connections", "socket_timeout") if key in layer}
        if host:
            lines.append(f"layer['CONFIG']['hosts'] = [{{'address': REDIS_URL, **{host!r}}}]")
        (workdir / "cll_bench_chat_settings.py").write_text("\n".join(lines) + "\n")
        env.update(DJANGO_SETTINGS_MODULE="cll_bench_chat_settings", PYTHONPATH=str(workdir))
    return env


def _backends(server: str, database: str) -> list[int]:
    """The PostgreSQL backends serving the run's database (not other people's)."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchall()
    return [row[0] for row in rows]


# -- The server --------------------------------------------------------------------------------


class AsgiGranian(Granian):
    """granian as production runs the ``/ws/`` workers: the ASGI interface without lifespan
    (Django's ASGI handler has none), ``cll.asgi:application``; ready once ``ws/health/``
    echoes a frame through the channel layer."""

    def __init__(self, env, workdir, *, workers, extra_args, app="cll.asgi:application"):
        super().__init__(env, workdir, workers=workers, blocking_threads=1, extra_args=extra_args)
        command = self.command
        command[command.index("wsgi")] = "asginl"
        # Blocking threads only matter to the WSGI interface: granian's default for ASGI.
        at = command.index("--blocking-threads")
        del command[at : at + 2]
        command[-1] = app

    @property
    def origin(self) -> str:
        return self.base_url

    def websocket_url(self, path: str) -> str:
        return f"ws://{HOST}:{self.port}{path}"

    def ask(self, path: str, frame: dict, *, timeout: float):
        """The first answer to ``frame`` on a fresh websocket to ``path`` (the harness's
        probes), sent with the site's Origin as a browser would."""
        from websockets.sync.client import connect

        with connect(
            self.websocket_url(path),
            origin=self.origin,
            proxy=None,
            open_timeout=timeout,
            compression=None,
        ) as socket:
            socket.send(json.dumps(frame))
            return json.loads(socket.recv(timeout=timeout))

    def _answers(self) -> bool:
        try:
            return self.ask(PHASES["echo"], {"ping": 1}, timeout=2) == {"ping": 1}
        except Exception:  # any failed handshake or a timeout: not ready yet
            return False

    def connections_per_worker(self) -> list[int]:
        """Established TCP connections each worker holds on the server's port (/proc)."""
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with contextlib.suppress(OSError):
                for line in Path(table).read_text().splitlines()[1:]:
                    fields = line.split()
                    local_port = int(fields[1].rsplit(":", 1)[1], 16)
                    if local_port == self.port and fields[3] == "01":  # ESTABLISHED
                        inodes.add(fields[9])
        counts = []
        for pid in self.worker_pids:
            count = 0
            with contextlib.suppress(OSError):
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    with contextlib.suppress(OSError):
                        target = os.readlink(fd)
                        if target.startswith("socket:[") and target[8:-1] in inodes:
                            count += 1
            counts.append(count)
        return counts


_EXCEPTION_LINE = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception|Full|Exit))\b")


def server_errors(server: AsgiGranian, offset: int) -> tuple[dict[str, int], int]:
    """Exceptions the server logged since ``offset`` (a byte position in its log), by name."""
    try:
        with server.log_path.open("rb") as log_file:
            log_file.seek(offset)
            text = log_file.read().decode(errors="replace")
    except OSError:
        return {}, offset
    names = collections.Counter(
        match.group(1) for line in text.splitlines() if (match := _EXCEPTION_LINE.match(line))
    )
    return dict(names.most_common(10)), offset + len(text.encode())


def chat_answers(server: AsgiGranian) -> str | None:
    """None when ``ws/chat/`` answers ``start`` with ``started``; else what it did instead."""
    try:
        answer = server.ask(PHASES["chat"], {"type": "start", "language": "fr"}, timeout=5)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    if not isinstance(answer, dict) or answer.get("type") != "started":
        return f"answered {answer!r} to start"
    return None


class PhaseMeter:
    """Who used the machine's CPU during a phase's measured window, by groups of processes
    (a group's pids are read again at the end: PostgreSQL backends come and go)."""

    def __init__(self, **groups):
        self.groups = groups

    def __enter__(self) -> PhaseMeter:
        self._system = _system_ticks()
        self._ticks = {
            name: {pid: _process_ticks(pid) for pid in pids()} for name, pids in self.groups.items()
        }
        return self

    def __exit__(self, *exc_info) -> None:
        ticks = {}
        for name, pids in self.groups.items():
            before = self._ticks[name]
            ticks[name] = sum(
                max(0, _process_ticks(pid) - before.get(pid, 0)) for pid in {*before, *pids()}
            )
        self.usage = cpu_shares(self._system, _system_ticks(), **ticks)
        self.seconds = {name: value / os.sysconf("SC_CLK_TCK") for name, value in ticks.items()}


# -- The clients (each client process runs this in its own asyncio loop) -------------------------


class Client:
    """One websocket connection: a visitor of the chat, or a client of the echo."""

    def __init__(self, index: int, tally: dict):
        self.index = index
        self.tally = tally
        self.socket = None
        self.sent_at: dict[str, float] = {}
        self.measured: set[str] = set()
        self.pending: set[str] = set()
        self.started = asyncio.Event()
        self.open = False
        self.reader: asyncio.Task | None = None

    async def connect(self, url: str, origin: str, chat: bool, open_timeout: float) -> None:
        from websockets.asyncio.client import connect

        began = time.monotonic()
        try:
            self.socket = await connect(
                url,
                origin=origin,
                proxy=None,
                # A browser's widget keeps no ping timer of its own; the server's are its own.
                ping_interval=None,
                compression=None,
                open_timeout=open_timeout,
                close_timeout=2,
            )
        except Exception as exc:
            self.tally["connect_failures"][f"{type(exc).__name__}: {exc}"[:120]] += 1
            return
        self.tally["connect"].append(time.monotonic() - began)
        self.open = True
        self.reader = asyncio.create_task(self.read())
        if not chat:
            return
        began = time.monotonic()
        await self.socket.send(json.dumps({"type": "start", "language": "fr"}))
        try:
            await asyncio.wait_for(self.started.wait(), open_timeout)
        except TimeoutError:
            self.tally["start_failures"] += 1
            return
        self.tally["start"].append(time.monotonic() - began)

    async def read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        tally = self.tally
        try:
            async for frame in self.socket:
                now = time.monotonic()
                try:
                    event = json.loads(frame)
                except ValueError:
                    tally["events"]["not JSON"] += 1
                    continue
                kind = event.get("type") if isinstance(event, dict) else None
                client_id = event.get("client_id") if isinstance(event, dict) else None
                if kind == "message" and client_id in self.pending:
                    self.pending.discard(client_id)
                    took = now - self.sent_at[client_id]
                    tally["round_trip" if client_id in self.measured else "warm_round_trip"].append(
                        took
                    )
                elif kind == "ack" and client_id in self.sent_at:
                    tally["ack"].append(now - self.sent_at[client_id])
                elif kind == "error":
                    tally["errors"][str(event.get("code"))] += 1
                elif kind == "started":
                    self.started.set()
                elif kind == "message" and client_id in self.sent_at:
                    tally["events"]["message again (duplicate)"] += 1
                else:
                    tally["events"][str(kind)] += 1
        except ConnectionClosed:
            pass
        finally:
            self.open = False
            # Closed by the server (or the network) before the clients were done.
            if not tally.get("closing"):
                tally["closed"][str(self.socket.close_code)] += 1

    async def send_every(self, *, first: float, interval: float, warm_until: float, end: float):
        from websockets.exceptions import ConnectionClosed

        tally = self.tally
        number = 0
        while (due := first + number * interval) < end:
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if not self.open:
                return
            client_id = f"{self.index}-{number}"
            frame = json.dumps(
                {
                    "type": "message",
                    "client_id": client_id,
                    "text": f"Bonjour, message {number} du visiteur {self.index} du banc d'essai.",
                }
            )
            sent = time.monotonic()
            self.sent_at[client_id] = sent
            self.pending.add(client_id)
            if due >= warm_until:
                self.measured.add(client_id)
            try:
                await self.socket.send(frame)
            except ConnectionClosed:
                # Never sent: not counted as sent nor lost (the close is counted).
                self.pending.discard(client_id)
                self.measured.discard(client_id)
                return
            tally["sent"] += 1
            tally["send_lag"].append(sent - due)
            number += 1


def _new_tally() -> dict:
    return {
        "connect_failures": collections.Counter(),
        "start_failures": 0,
        "closed_before_start": 0,
        "connect": [],
        "start": [],
        "sent": 0,
        "round_trip": [],
        "warm_round_trip": [],
        "ack": [],
        "send_lag": [],
        "errors": collections.Counter(),
        "events": collections.Counter(),
        "closed": collections.Counter(),
        "lost": 0,
        "lost_measured": 0,
        "late": 0,
    }


async def _clients_run(conf: dict, pipe) -> dict:
    tally = _new_tally()
    loop = asyncio.get_running_loop()
    clients = [Client(index, tally) for index in conf["indexes"]]
    began = time.monotonic()

    async def connect(position: int, client: Client) -> None:
        await asyncio.sleep(conf["ramp"] * position / len(clients))
        await client.connect(conf["url"], conf["origin"], conf["chat"], conf["open_timeout"])

    await asyncio.gather(*(connect(n, client) for n, client in enumerate(clients)))
    ready = [
        client
        for client in clients
        if client.open and (client.started.is_set() or not conf["chat"])
    ]
    tally["closed_before_start"] = sum(
        1 for client in clients if client.socket is not None and not client.open
    )
    pipe.send({"ready": len(ready), "connect_seconds": round(time.monotonic() - began, 2)})
    go = await loop.run_in_executor(None, pipe.recv)
    if go is None:  # the parent gave up (another client process failed)
        return tally
    interval, total = conf["interval"], conf["total_clients"]
    warm_until = go + conf["warmup"]
    end = warm_until + conf["duration"]
    await asyncio.gather(
        *(
            # Client n's first message at go + n/total of an interval: an even flow.
            client.send_every(
                first=go + interval * client.index / total,
                interval=interval,
                warm_until=warm_until,
                end=end,
            )
            for client in ready
        )
    )
    # Every message gets ``timeout`` seconds from its send: wait for the last ones.
    deadline = time.monotonic() + conf["timeout"]
    while any(client.pending for client in ready) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for client in clients:
        tally["lost"] += len(client.pending)
        tally["lost_measured"] += len(client.pending & client.measured)
    # Arrived, but after the timeout: lost as far as the visitor can tell.
    timeout = conf["timeout"]
    for key in ("round_trip", "warm_round_trip"):
        slow = [took for took in tally[key] if took > timeout]
        tally["lost"] += len(slow)
        tally["late"] += len(slow)
        if key == "round_trip":
            tally["lost_measured"] += len(slow)
    tally["closing"] = True
    pipe.send({"finished_at": time.monotonic()})
    await asyncio.gather(
        *(client.socket.close() for client in clients if client.open), return_exceptions=True
    )
    for client in clients:
        if client.reader is not None:
            client.reader.cancel()
    return tally


def _client_process(conf: dict, pipe) -> None:
    try:
        _raise_open_files(len(conf["indexes"]) + 256)
        tally = asyncio.run(_clients_run(conf, pipe))
        tally.pop("closing", None)
        pipe.send({"tally": tally})
    except Exception as exc:  # reported to the parent, which exits with status 2
        pipe.send({"failure": f"{type(exc).__name__}: {exc}"})


# -- A phase -----------------------------------------------------------------------------------


def _percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max in ms (nearest rank), of the messages that arrived (a lost message,
    which never did, is counted as lost instead and fails the target by itself)."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(share: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": rank(1.0)}


def _merge(tallies: list[dict]) -> dict:
    merged = _new_tally()
    for tally in tallies:
        for key, value in tally.items():
            merged[key] += value  # counts, lists and Counters alike
    return merged


def run_phase(
    name: str,
    server: AsgiGranian,
    sampler: RssSampler,
    args: argparse.Namespace,
    groups: dict,
) -> dict:
    """One phase (``echo`` or ``chat``): connect, measure, tally."""
    context = multiprocessing.get_context("spawn")
    per_process = [list(range(args.clients))[n :: args.processes] for n in range(args.processes)]
    processes, pipes = [], []
    for indexes in per_process:
        parent, child = context.Pipe()
        conf = {
            "indexes": indexes,
            "total_clients": args.clients,
            "url": server.websocket_url(PHASES[name]),
            "origin": server.origin,
            "chat": name == "chat",
            "ramp": args.ramp,
            "interval": args.interval,
            "warmup": args.warmup,
            "duration": args.duration,
            "timeout": args.timeout,
            "open_timeout": max(10.0, args.ramp),
        }
        process = context.Process(target=_client_process, args=(conf, child), daemon=True)
        process.start()
        processes.append(process)
        pipes.append(parent)

    def receive(pipe, timeout: float) -> dict:
        if not pipe.poll(timeout):
            raise HarnessError(f"{name}: a client process did not answer within {timeout:.0f} s")
        message = pipe.recv()
        if "failure" in message:
            raise HarnessError(f"{name}: a client process failed: {message['failure']}")
        return message

    _, log_offset = server_errors(server, 0)
    try:
        log(f"{name}: {args.clients} clients connecting over {args.ramp} s ({PHASES[name]})")
        sampler.set_phase(f"{name} connect")
        ready = [receive(pipe, args.ramp + 120) for pipe in pipes]
        connected = sum(message["ready"] for message in ready)
        per_worker = server.connections_per_worker()
        log(f"{name}: {connected} ready; connections per worker {per_worker}")
        sampler.set_phase(name)
        client_pids = [process.pid for process in processes]
        # What the server burns with every socket open and nothing sent (its fixed cost).
        with PhaseMeter(server=lambda: server.pids) as idle:
            time.sleep(IDLE_SECONDS)
        switch = args.profile / PROFILE_SWITCH if args.profile else None
        with PhaseMeter(server=lambda: server.pids, clients=lambda: client_pids, **groups) as meter:
            go = time.monotonic() + 0.5
            if switch:
                switch.write_text(name)
            for pipe in pipes:
                pipe.send(go)
            log(f"{name}: sending for {args.warmup} + {args.duration} s")
            finished = [
                receive(pipe, args.warmup + args.duration + args.timeout + 120) for pipe in pipes
            ]
        if switch:
            switch.unlink()
            time.sleep(1)  # the workers write their profiles
        window = max(message["finished_at"] for message in finished) - go
        tallies = [receive(pipe, 60)["tally"] for pipe in pipes]
        sampler.set_phase("idle")
    except BaseException:
        for pipe in pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
        raise
    finally:
        for process in processes:
            process.join(timeout=15)
            if process.is_alive():
                process.kill()
    tally = _merge(tallies)
    received = len(tally["round_trip"])
    cpu = meter.usage
    server_seconds = meter.seconds["server"]
    messages = tally["sent"]
    # Per message the server carried through (sent back): when it falls behind, messages sent
    # but never handled would make each handled one look cheap.
    delivered = received + len(tally["warm_round_trip"])
    figures = {
        "path": PHASES[name],
        "clients": args.clients,
        "connected": connected,
        "connections_per_worker": per_worker,
        "connect_failures": dict(tally["connect_failures"].most_common(5)),
        "start_failures": tally["start_failures"],
        "closed_before_start": tally["closed_before_start"],
        "connect_ms": _percentiles(tally["connect"]),
        "start_ms": _percentiles(tally["start"]),
        "sent": messages,
        "received_measured": received,
        "received_warmup": len(tally["warm_round_trip"]),
        "lost": tally["lost"],
        "lost_measured": tally["lost_measured"],
        "arrived_after_timeout": tally["late"],
        "round_trip_ms": _percentiles(tally["round_trip"]),
        "warmup_round_trip_ms": _percentiles(tally["warm_round_trip"]),
        "ack_ms": _percentiles(tally["ack"]),
        "acks": len(tally["ack"]),
        "errors": dict(tally["errors"]),
        "other_events": dict(tally["events"]),
        "closed_during_run": dict(tally["closed"]),
        "client_send_lag_ms": _percentiles(tally["send_lag"]),
        "messages_per_second": round(received / args.duration, 1),
        "window_seconds": round(window, 2),
        "cpu": {
            **cpu,
            "server_ms_per_message": round(1000 * server_seconds / delivered, 3)
            if delivered
            else None,
            "server_ms_per_message_sent": round(1000 * server_seconds / messages, 3)
            if messages
            else None,
            "seconds": {key: round(value, 2) for key, value in meter.seconds.items()},
        },
        "idle_server_cpu_pct": idle.usage["server_pct"],
        "peak_rss_mib_per_worker": sampler.peak_mib(name),
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
        "server_exceptions": server_errors(server, log_offset)[0],
    }
    figures["problems"] = phase_problems(name, figures, args)
    if cpu["other_pct"] + cpu["steal_pct"] > NOISE_WARNING_PCT:
        log(
            f"WARNING: {name}: other processes took {cpu['other_pct']}% of the CPU "
            f"(+{cpu['steal_pct']}% stolen) during the measured window"
        )
    return figures


def phase_problems(name: str, figures: dict, args: argparse.Namespace) -> list[str]:
    problems = []
    if figures["connected"] < args.clients:
        problems.append(
            f"{args.clients - figures['connected']} clients not connected/started "
            f"({figures['start_failures']} without an answer to start, "
            f"{figures['closed_before_start']} closed by the server before the start; "
            f"failed handshakes: {figures['connect_failures'] or 'none'})"
        )
    if figures["lost"]:
        problems.append(f"{figures['lost']} messages lost (no event within {args.timeout:g} s)")
    if figures["errors"]:
        problems.append(f"error frames: {figures['errors']}")
    if figures["server_exceptions"]:
        problems.append(f"the server logged {figures['server_exceptions']}")
    if figures["closed_during_run"]:
        problems.append(f"sockets closed during the run: {figures['closed_during_run']}")
    if name == "chat" and figures["acks"] < figures["sent"] - figures["lost"]:
        problems.append(f"{figures['sent'] - figures['acks']} messages without an ack")
    return problems


# -- Profiling (``--profile DIR``) ---------------------------------------------------------------


PROFILE_SWITCH = "measuring"
# The code measured, fingerprinted in the results: the tree is often uncommitted while it is
# tuned, so the git revision alone does not say which version of the consumer ran.
MEASURED_CODE = (
    "cll/asgi.py",
    "cll/settings.py",
    "cll/core/consumers.py",
    "cll/chat/consumers.py",
    "cll/chat/services.py",
    "cll/chat/selectors.py",
    "cll/chat/models.py",
)


def code_fingerprints() -> dict[str, str | None]:
    """The first 12 hex digits of each measured file's SHA-256 (None: missing)."""
    import hashlib

    prints = {}
    for name in MEASURED_CODE:
        try:
            prints[name] = hashlib.sha256((REPO / name).read_bytes()).hexdigest()[:12]
        except OSError:
            prints[name] = None
    return prints


def __getattr__(name: str):
    """``bench.chat:profiled_application``, granian's target under ``--profile``: the site's ASGI
    application, with cProfile on in the worker while the harness measures a phase (while the
    file ``$CLL_BENCH_PROFILE_DIR/measuring`` exists; it holds the phase's name). cProfile sees
    every thread since Python 3.12 (sys.monitoring), so the database threads are in it. Each
    worker writes ``<phase>-worker-<pid>.pstats`` when the phase ends."""
    if name != "profiled_application":
        raise AttributeError(name)
    import cProfile
    import threading

    from cll.asgi import application

    directory = Path(os.environ["CLL_BENCH_PROFILE_DIR"])
    switch = directory / PROFILE_SWITCH

    def control() -> None:
        profiler, phase = None, ""
        while True:
            time.sleep(0.1)
            try:
                wanted = switch.read_text().strip()
            except OSError:
                wanted = ""
            if wanted and profiler is None:
                profiler, phase = cProfile.Profile(), wanted
                profiler.enable()
            elif not wanted and profiler is not None:
                profiler.disable()
                profiler.dump_stats(directory / f"{phase}-worker-{os.getpid()}.pstats")
                profiler = None

    threading.Thread(target=control, name="bench-profile", daemon=True).start()
    return application


def profile_report(directory: Path, phases: list[str], limit: int = 40) -> str:
    """Each phase's workers' profiles merged: by own time, then by cumulative time."""
    import io
    import pstats

    stream = io.StringIO()
    for phase in phases:
        files = sorted(directory.glob(f"{phase}-worker-*.pstats"))
        print(f"==== {phase}: {len(files)} worker profile(s)", file=stream)
        if files:
            stats = pstats.Stats(*(str(path) for path in files), stream=stream)
            stats.sort_stats("tottime").print_stats(limit)
            stats.sort_stats("cumulative").print_stats(limit)
    return stream.getvalue()


# -- The run -----------------------------------------------------------------------------------


def _noise(figures: dict) -> float:
    """The share of the CPU other processes (and the hypervisor) took during a phase, in %."""
    return figures["cpu"]["other_pct"] + figures["cpu"]["steal_pct"]


def _fmt(value, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def print_table(phases: dict[str, dict], comparison: dict) -> None:
    print()
    header = (
        f"{'phase':<6}{'clients':>11}{'sent':>8}{'on time':>8}{'lost':>8}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'p99 ms':>8}{'max ms':>8}{'ack p99':>8}{'msg/s':>7}{'CPU ms/msg':>11}"
        f"  {'RSS/worker MiB':<14} CPU % server/clients/pg/redis/other"
    )
    print(header)
    print("-" * len(header))
    for name, figures in phases.items():
        latency, cpu = figures["round_trip_ms"], figures["cpu"]
        rss = " / ".join(f"{mib:.0f}" for mib in figures["peak_rss_mib_per_worker"]) or "-"
        print(
            f"{name:<6}{figures['connected']:>5,}/{figures['clients']:<5,}{figures['sent']:>8,}"
            f"{figures['sent'] - figures['lost']:>8,}{figures['lost']:>8,}"
            f"{_fmt(latency['p50'], '.1f'):>8}{_fmt(latency['p95'], '.1f'):>8}"
            f"{_fmt(latency['p99'], '.1f'):>8}{_fmt(latency['max'], '.0f'):>8}"
            f"{_fmt(figures['ack_ms']['p99'], '.1f'):>8}{figures['messages_per_second']:>7,.0f}"
            f"{_fmt(cpu['server_ms_per_message'], '.2f'):>11}  {rss:<14} "
            f"{cpu['server_pct']:.0f}/{cpu['clients_pct']:.0f}/{cpu.get('postgres_pct', 0):.0f}/"
            f"{cpu.get('redis_pct', 0):.0f}/{cpu['other_pct'] + cpu['steal_pct']:.0f}"
        )
        print(
            f"{'':<6}handshake p50/p99 {_fmt(figures['connect_ms']['p50'], '.0f')}/"
            f"{_fmt(figures['connect_ms']['p99'], '.0f')} ms"
            + (
                f", start → started p50/p99 {_fmt(figures['start_ms']['p50'], '.0f')}/"
                f"{_fmt(figures['start_ms']['p99'], '.0f')} ms, acks {figures['acks']:,}"
                if name == "chat"
                else ""
            )
            + f"; the clients' lag behind their schedule p99 "
            f"{_fmt(figures['client_send_lag_ms']['p99'], '.1f')} ms; server CPU idle with the "
            f"sockets open {figures['idle_server_cpu_pct']:.0f}%; load average after "
            f"{figures['load_average_after'][0]}"
        )
        for problem in figures["problems"]:
            print(f"{'':<6}PROBLEM: {problem}")
    if comparison:
        print(
            f"chat / echo: p99 {_fmt(comparison['p99_ratio'], '.2f')}, throughput "
            f"{_fmt(comparison['throughput_ratio'], '.3f')}, server CPU per message "
            f"{_fmt(comparison['cpu_per_message_ratio'], '.2f')}"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=tuple(PHASES), help="run one phase only")
    parser.add_argument("--clients", type=int, default=1000, help="websocket connections")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--duration", type=float, default=30, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=5, help="seconds sent before measuring")
    parser.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL,
        help="seconds between a client's messages (5: the documented load; 1: the stress run)",
    )
    parser.add_argument("--ramp", type=float, default=10, help="seconds to connect every client")
    parser.add_argument("--timeout", type=float, default=5, help="a message later is lost")
    parser.add_argument("--workers", type=int, default=2, help="granian ASGI workers")
    parser.add_argument(
        "--granian-arg", action="append", default=[], metavar="ARG", help="extra granian argument"
    )
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--redis-db", type=int, help="Redis database (default: first empty 1-12)")
    parser.add_argument(
        "--layer-backend",
        choices=("pubsub",),
        help="what-if: channels_redis's pub/sub layer (what cll/settings.py ships since 6 Dec.)",
    )
    parser.add_argument(
        "--layer-capacity",
        type=int,
        help="what-if: channels_redis capacity (shipped: the default, 100 per channel)",
    )
    parser.add_argument(
        "--redis-max-connections",
        type=int,
        help="what-if: the layer's Redis pool size per worker (shipped: cll/settings.py)",
    )
    parser.add_argument(
        "--redis-socket-timeout",
        type=float,
        help="what-if: the layer's Redis socket timeout in s (shipped: cll/settings.py)",
    )
    parser.add_argument("--profile", type=Path, metavar="DIR", help="cProfile the workers")
    parser.add_argument("--keep", action="store_true", help="keep the temporary environment")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.processes < 1 or args.duration <= 0 or args.interval <= 0:
        parser.error("--clients, --processes, --duration and --interval must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    started_at = dt.datetime.now(dt.UTC)
    facts = machine_facts()
    if facts["load_average_before"][0] > 0.5 * facts["cores_available"]:
        log(
            f"WARNING: the machine is busy (load {facts['load_average_before'][0]} on "
            f"{facts['cores_available']} cores): the figures will be worse than on a quiet one"
        )
    names = [args.only] if args.only else list(PHASES)
    layer_overrides = {
        key: value
        for key, value in (
            ("backend", args.layer_backend),
            ("capacity", args.layer_capacity),
            ("max_connections", args.redis_max_connections),
            ("socket_timeout", args.redis_socket_timeout),
        )
        if value is not None
    }
    if layer_overrides:
        log(f"WHAT-IF run: channel layer configured with {layer_overrides}, not as shipped")
    database = f"cll_bench_chat_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="cll-bench-chat-"))
    phases: dict[str, dict] = {}
    server = redis_client = None
    try:
        # granian's workers inherit the limit: one descriptor per websocket there too.
        _raise_open_files(args.clients + 1024)
        redis_client, redis_db = _redis_claim(args.redis, args.redis_db)
        try:
            _server_sql(args.server, f'CREATE DATABASE "{database}"')
        except Exception as exc:
            raise HarnessError(f"cannot create a database on {args.server}: {exc}") from exc
        env = _environment(
            workdir, f"{args.server}/{database}", f"{args.redis}/{redis_db}", layer_overrides
        )
        log(f"throw-away production environment in {workdir}, Redis database {redis_db}")
        log("migrate")
        manage(env, "migrate", "--no-input", "--verbosity", "0")
        app = "cll.asgi:application"
        # Read as granian starts: the code it loads.
        fingerprints = code_fingerprints()
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            (args.profile / PROFILE_SWITCH).unlink(missing_ok=True)
            env["CLL_BENCH_PROFILE_DIR"] = str(args.profile.resolve())
            app = "bench.chat:profiled_application"
        server = AsgiGranian(
            env, workdir, workers=args.workers, extra_args=args.granian_arg, app=app
        )
        server.start()
        log(f"granian answers on {server.base_url}; workers {server.worker_pids}")
        if "chat" in names and (refusal := chat_answers(server)):
            raise HarnessError(f"ws/chat/ does not answer start: {refusal}\n{server.tail(10)}")
        redis_pid = _redis_pid(redis_client)
        groups = {
            "postgres": lambda: _backends(args.server, database),
            "redis": lambda: [redis_pid] if redis_pid else [],
        }
        with RssSampler(server.worker_pids) as sampler:
            idle_rss = sampler.peak_mib("idle")
            for name in names:
                phases[name] = run_phase(name, server, sampler, args, groups)
            high_water = sampler.high_water_mib()
        if server.process is not None and server.process.poll() is not None:
            raise HarnessError(f"granian died during the run:\n{server.tail()}")
        granian_command = " ".join(["granian", *server.command[1:]]).replace(
            f"--port {server.port}", "--port <free port>"
        )
    except HarnessError as exc:
        print(f"\nbenchmark could not run: {exc}", file=sys.stderr)
        if server is not None:
            print(server.tail(20), file=sys.stderr)
        return 2
    finally:
        if server is not None:
            server.stop()
        with contextlib.suppress(Exception):
            _server_sql(args.server, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if redis_client is not None:
            # The database was empty when claimed: everything in it is the run's.
            with contextlib.suppress(Exception):
                redis_client.flushdb()
                redis_client.close()
        workdir_done(workdir, keep=args.keep)

    comparison = {}
    if len(phases) == 2:
        echo, chat = phases["echo"], phases["chat"]

        def ratio(a, b):
            return round(a / b, 3) if a is not None and b else None

        comparison = {
            "p99_ratio": ratio(chat["round_trip_ms"]["p99"], echo["round_trip_ms"]["p99"]),
            "p50_ratio": ratio(chat["round_trip_ms"]["p50"], echo["round_trip_ms"]["p50"]),
            "throughput_ratio": ratio(chat["messages_per_second"], echo["messages_per_second"]),
            # Only when both phases carried every message: a phase that collapsed has a
            # meaningless cost per message.
            "cpu_per_message_ratio": ratio(
                chat["cpu"]["server_ms_per_message"], echo["cpu"]["server_ms_per_message"]
            )
            if not echo["lost"] and not chat["lost"]
            else None,
        }
    print_table(phases, comparison)
    idle = " / ".join(f"{mib:.0f}" for mib in idle_rss)
    hwm = " / ".join(f"{mib:.0f}" for mib in high_water if mib)
    print(f"worker RSS: {idle} MiB idle after start-up, {hwm} MiB high-water mark (VmHWM)")
    print(f"server: {granian_command}")
    if layer_overrides:
        print(f"WHAT-IF: channel layer configured with {layer_overrides}, not as shipped")

    target_met = None
    if "chat" in phases:
        chat = phases["chat"]
        p99 = chat["round_trip_ms"]["p99"]
        target_met = not chat["problems"] and p99 is not None and p99 < TARGET_P99_MS
        if args.clients == TARGET_CLIENTS and args.interval == DEFAULT_INTERVAL:
            load = "the documented load"
        elif args.clients == TARGET_CLIENTS and args.interval == STRESS_INTERVAL:
            load = "the stress run"
        else:
            load = (
                f"the documented load: {TARGET_CLIENTS:,} clients, one message each per "
                f"{DEFAULT_INTERVAL:g} s"
            )
        print(
            f"target (chat round-trip p99 < {TARGET_P99_MS:g} ms, no message lost, every client "
            f"connected, no error frame): {'MET' if target_met else 'NOT MET'} at "
            f"{args.clients:,} clients, one message each per {args.interval:g} s "
            f"({args.clients / args.interval:,.0f} messages/s, {load})"
            + (" (WHAT-IF configuration)" if layer_overrides else "")
        )
    warnings = [
        f"{name}: other processes took {_noise(figures):.0f}% of the CPU during the measured window"
        for name, figures in phases.items()
        if _noise(figures) > NOISE_WARNING_PCT
    ]
    for warning in warnings:
        print(f"disturbed: {warning} (figures may be worse than on a quiet machine)")

    report = {
        "code_sha256": fingerprints,
        "machine": {**facts, "load_average_after": [round(v, 2) for v in os.getloadavg()]},
        "server": {"command": granian_command, "workers": args.workers},
        "layer": {
            "channel_layer": "channels_redis",
            "redis_db": redis_db,
            "database": "postgresql",
            "what_if_overrides": layer_overrides,
        },
        "load": {
            "clients": args.clients,
            "client_processes": args.processes,
            "interval_seconds": args.interval,
            "ramp_seconds": args.ramp,
            "warmup_seconds": args.warmup,
            "duration_seconds": args.duration,
            "lost_after_seconds": args.timeout,
        },
        "target": {"phase": "chat", "max_p99_ms": TARGET_P99_MS, "lost": 0},
        "target_met": target_met,
        "idle_rss_mib_per_worker": idle_rss,
        "high_water_rss_mib_per_worker": high_water,
        "phases": phases,
        "chat_over_echo": comparison,
        "warnings": warnings,
    }
    if not args.no_save:
        results_write("chat", report, started_at)
    if args.profile:
        report_path = args.profile / "report.txt"
        report_path.write_text(profile_report(args.profile, list(phases)))
        print(f"profile of the workers: {report_path}")
    if target_met is None:
        return 1 if any(figures["problems"] for figures in phases.values()) else 0
    return 0 if target_met else 1


if __name__ == "__main__":
    sys.exit(main())
