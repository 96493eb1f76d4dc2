import pytest

from cll.analytics import logbuffer, services


@pytest.fixture(autouse=True)
def _empty_access_log_buffer():
    """Other tests' requests leave events in the process's buffer: start each test empty."""
    logbuffer.buffer.clear()
    services._salts.clear()
    services._hashes.clear()
    yield
    logbuffer.buffer.clear()
    services._salts.clear()
    services._hashes.clear()


@pytest.fixture(autouse=True)
def _own_access_log_spool(settings, tmp_path):
    """Each test its own spool: a file one test leaves is never ingested by another."""
    settings.ACCESS_LOG_SPOOL_DIR = tmp_path / "access-log-spool"
