"""A real ClamAV daemon for tests: the ``clamd`` fixture.

The daemon is Debian's ``/usr/sbin/clamd`` (package clamav-daemon; ``scripts/test.sh`` installs
it), started once per test process in a temporary directory, on a Unix socket there (loopback
only: nothing listens on the network), with a signature database that holds a single body
signature written by the fixture itself: the EICAR test string. No official signature is ever
downloaded (freshclam never runs), so the tests are offline and deterministic. The EICAR string
is put together from two halves at run time, so the repository never holds it (a scanner
watching the checkout would flag the file otherwise).

``clamd`` (function scope) points ``settings.CLAMD_URL`` at the daemon and ``UPLOAD_DIR`` at a
directory of the test's own, makes sure the daemon is running when the test starts, and hands
the test a ``Clamd`` object: ``stop()`` and ``start()`` take it down and bring it back on the same
socket (a test of the fail-closed path), ``eicar()`` gives the test file's bytes. Without
``/usr/sbin/clamd`` the test is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

CLAMD = Path("/usr/sbin/clamd")
SIGNATURE_NAME = "Project.Test.EICAR"
# What clamd reports for a match of our body signature (.ndb, not official: "UNOFFICIAL").
FOUND_NAME = f"{SIGNATURE_NAME}.UNOFFICIAL"
# Start-up takes a fraction of a second with one signature; this bounds a broken install.
START_TIMEOUT_SECONDS = 30
# Larger than any upload the tests send (CLL_UPLOAD_MAX_BYTES defaults to 10 MiB).
STREAM_MAX = "64M"


def eicar() -> bytes:
    """The 68 bytes of the EICAR anti-virus test file, assembled at run time."""
    head = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$"
    tail = "EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE!$H+H*"
    return (head + tail).encode("ascii")


def _signature() -> str:
    # A body signature (Name:TargetType:Offset:HexSignature) of the string's distinctive part.
    marker = ("EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE").encode("ascii")
    return f"{SIGNATURE_NAME}:0:*:{marker.hex()}\n"


class Clamd:
    """One clamd process on a Unix socket of a private directory; stoppable and restartable."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.socket_path = directory / "clamd.sock"
        self.log_path = directory / "clamd.log"
        self.output_path = directory / "clamd.out"
        self.config_path = directory / "clamd.conf"
        self._process: subprocess.Popen | None = None
        database = directory / "db"
        database.mkdir()
        (database / "project.ndb").write_text(_signature())
        scratch = directory / "tmp"
        scratch.mkdir()
        self.config_path.write_text(
            "\n".join(
                [
                    "Foreground yes",
                    f"LocalSocket {self.socket_path}",
                    "LocalSocketMode 600",
                    f"DatabaseDirectory {database}",
                    f"TemporaryDirectory {scratch}",
                    f"LogFile {self.log_path}",
                    f"StreamMaxLength {STREAM_MAX}",
                    "MaxThreads 2",
                    # Never reload the database behind the tests' back.
                    "SelfCheck 0",
                    "",
                ]
            )
        )

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def eicar(self) -> bytes:
        return eicar()

    def ping(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(1)
                client.connect(str(self.socket_path))
                client.sendall(b"nPING\n")
                return client.recv(16).strip() == b"PONG"
        except OSError:
            return False

    def start(self) -> None:
        """Start the daemon (if it is not running) and wait until it answers PING."""
        if self.running:
            return
        self.socket_path.unlink(missing_ok=True)
        # Its output goes to a file: a pipe nobody reads would fill up and block it.
        with self.output_path.open("ab") as output:
            self._process = subprocess.Popen(  # noqa: S603 (a fixed program, our own config)
                [str(CLAMD), "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self.ping():
            if self._process.poll() is not None:
                self._process = None
                raise RuntimeError(f"clamd did not start: {self._log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"clamd did not answer within {START_TIMEOUT_SECONDS}s")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the daemon: connections to its socket are refused until ``start()``."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.socket_path.unlink(missing_ok=True)

    def _log(self) -> str:
        text = ""
        for path in (self.output_path, self.log_path):
            with contextlib.suppress(OSError):
                text += path.read_text(errors="replace")[-2000:]
        return text


@pytest.fixture(scope="session")
def clamd_daemon():
    """The test process's clamd (started on first use, stopped at the end of the session)."""
    if not CLAMD.exists():
        pytest.skip(
            f"{CLAMD} is missing: install Debian's clamav-daemon (scripts/test.sh does) to run "
            "the upload tests against a real ClamAV."
        )
    # A short path of its own: a Unix socket path is limited to about 100 characters.
    directory = Path(tempfile.mkdtemp(prefix="cll-clamd-"))
    daemon = Clamd(directory)
    try:
        daemon.start()
        yield daemon
    finally:
        daemon.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def clamd(clamd_daemon, settings, tmp_path):
    """A running clamd that uploads are scanned by during the test (``settings.CLAMD_URL``),
    and an upload directory of the test's own (``settings.UPLOAD_DIR``)."""
    clamd_daemon.start()
    settings.CLAMD_URL = clamd_daemon.url
    settings.UPLOAD_DIR = tmp_path / "uploads"
    yield clamd_daemon
    # A test that stopped it leaves it running for the next one.
    clamd_daemon.start()
