"""Shared fixtures: a fresh in-memory lab at a fixed start time, in strict mode."""

from __future__ import annotations

import os

import pytest

os.environ["AWSLAB_STRICT"] = "1"  # every response is checked against botocore's output shape
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
os.environ.setdefault("MPLBACKEND", "Agg")

START = "2026-01-01T00:00:00Z"


@pytest.fixture
def lab():
    from awslab import Lab

    fresh = Lab(start=START)
    yield fresh
    fresh.close()
