"""A real ClamAV daemon for tests (being written: the ``clamd`` fixture)."""
