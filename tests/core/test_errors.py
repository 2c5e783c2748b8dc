"""The error tree: shape, defaults, and no secret in messages."""

from __future__ import annotations

import pytest

import stopkit
from stopkit import errors


def test_tree_shape() -> None:
    """Local and remote errors are separate branches, as drawn in the module docstring."""
    local = [errors.InvalidOrder, errors.UnsupportedOrder, errors.ConfigurationError, errors.PluginError]
    remote = [
        errors.AuthenticationError,
        errors.OrderRejected,
        errors.DuplicateClientOrderId,
        errors.OrderNotFound,
        errors.RateLimited,
        errors.VenueUnavailable,
        errors.TransportError,
        errors.ResponseShapeError,
        errors.UnknownVenueValue,
    ]
    for cls in local:
        assert issubclass(cls, errors.LocalError)
        assert not issubclass(cls, errors.RemoteError)
    for cls in remote:
        assert issubclass(cls, errors.RemoteError)
        assert not issubclass(cls, errors.LocalError)
    assert issubclass(errors.DuplicateClientOrderId, errors.OrderRejected)
    assert issubclass(errors.UnknownVenueValue, errors.ResponseShapeError)
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.StopkitError)
        assert name in errors.__doc__  # every class is drawn in the tree


@pytest.mark.parametrize(
    ("error", "retryable", "outcome_known"),
    [
        (errors.InvalidOrder("x"), False, True),
        (errors.OrderRejected("x"), False, True),
        (errors.RateLimited("x", retry_after_s=2.5), True, True),
        (errors.VenueUnavailable("x"), True, True),
        (errors.VenueUnavailable("x", outcome_known=False), True, False),
        (errors.TransportError("x", outcome_known=False), True, False),
    ],
)
def test_defaults(error: errors.StopkitError, retryable: bool, outcome_known: bool) -> None:
    """Every error says whether a retry is safe and whether the outcome is known."""
    assert error.retryable is retryable
    assert error.outcome_known is outcome_known


def test_attributes_and_truncation() -> None:
    """Venue details are kept; a huge raw body is truncated; the message never includes the body."""
    body = "x" * 10_000
    error = errors.OrderRejected(
        "refused", venue="v", http_status=422, venue_code=36, venue_message="dup", raw_body=body.encode()
    )
    assert error.venue_code == "36"
    assert error.raw_body is not None
    assert len(error.raw_body) < 5000
    assert "xxxx" not in str(error)
    assert "http_status=422" in str(error)
    assert "venue_code=36" in str(error)
    assert errors.RateLimited("slow", retry_after_s=3).retry_after_s == 3
    unknown = errors.UnknownVenueValue("bad", field="status", raw_value="Weird", venue="v")
    assert (unknown.field, unknown.raw_value) == ("status", "Weird")


def test_exported_from_package() -> None:
    """Every error class is importable from the top-level package."""
    for name in errors.__all__:
        assert getattr(stopkit, name) is getattr(errors, name)
