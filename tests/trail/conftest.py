"""Fixtures for the trail toolkit: the real samples, loaded once, and a small generated trail."""

from __future__ import annotations

import pytest
from trail_samples import INVICTUS, PLASO, STRATUS


@pytest.fixture(scope="session")
def samples():
    """All three real samples loaded together (3,216 records)."""
    from awslab import trail

    events = trail.load(INVICTUS, STRATUS, PLASO)
    yield events
    events.close()


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """A generated trail of about 3,000 records with every incident, in the S3 layout."""
    from awslab.trail.generate import generate_trail

    return generate_trail(tmp_path_factory.mktemp("trail"), 3000, seed=7)


@pytest.fixture(scope="session")
def generated_events(generated):
    from awslab import trail

    events = trail.load(generated.root)
    yield events
    events.close()


@pytest.fixture
def stratus():
    """Load one Stratus Red Team detonation log by its technique name."""
    from awslab import trail

    opened = []

    def load(technique: str):
        opened.append(trail.load(STRATUS / f"aws.{technique}.json"))
        return opened[-1]

    yield load
    for events in opened:
        events.close()
