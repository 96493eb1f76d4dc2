import pytest

from cll.policies.tests.helpers import consent_purpose
from cll.privacy import datamap


@pytest.fixture
def new_purpose():
    """A consent-based purpose added to the data map for one test, removed afterwards."""
    key = consent_purpose()
    yield key
    datamap.PURPOSES.pop(key, None)
