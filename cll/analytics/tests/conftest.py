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
