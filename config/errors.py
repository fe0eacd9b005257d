"""Domain errors shared by every app's services.

Services raise these; the admin shows ``message`` to the user, the API maps
``status`` and ``code`` onto the JSON error body. Codes are stable, English,
machine-readable; messages are translated.
"""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the operation. Nothing was changed."""

    code = "domain_error"
    status = 400

    def __init__(
        self, message: str, *, code: str | None = None, field: str | None = None
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    """The input breaks a rule that a form or serializer could not see."""

    code = "invalid"
    status = 400


class NotPermitted(DomainError):
    """The actor's role or scope does not allow this operation."""

    code = "permission_denied"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    """The operation conflicts with the current state of the object."""

    code = "conflict"
    status = 409


class IllegalTransition(Conflict):
    """The requested status change is not allowed from the current status."""

    code = "illegal_transition"


class VersionConflict(Conflict):
    """Someone else changed the object since the caller read it."""

    code = "version_conflict"
