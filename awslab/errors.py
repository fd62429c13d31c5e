"""Errors the lab raises: AWS errors for API callers, builtin subclasses for everything else."""

from __future__ import annotations


class AWSError(Exception):
    """An AWS error answer: the gateway turns it into botocore's ``ClientError``.

    ``code`` and ``message`` are what AWS returns for the case; ``status`` is the HTTP status.
    Raise it from an operation handler before changing anything, or rely on the call's
    transaction being rolled back.
    """

    def __init__(self, code: str, message: str, status: int = 400, *, sender_fault: bool = True):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault


def validation_error(message: str) -> AWSError:
    """The generic ``ValidationError`` used by Query-protocol services."""
    return AWSError("ValidationError", message)


def invalid_parameter_value(message: str) -> AWSError:
    return AWSError("InvalidParameterValue", message)


def invalid_parameter_combination(message: str) -> AWSError:
    return AWSError("InvalidParameterCombination", message)


def missing_parameter(message: str) -> AWSError:
    return AWSError("MissingParameter", message)


class ClockError(ValueError):
    """The lab clock was asked to do something time cannot do (move backwards)."""
