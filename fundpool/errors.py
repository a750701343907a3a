"""Errors a caller can act on, raised by the core and mapped to HTTP in one place.

Each carries a message written for a person and, where one input is at fault,
the name of that field.
"""

from __future__ import annotations


class FundpoolError(Exception):
    """Base class: ``message`` says what is wrong, ``field`` names the input at fault.

    A message with details is given as a template and its values
    (``InvalidInput("fund {fund} is closed", "fund", fund=code)``): ``message`` is then the
    English sentence the API shows, and the console translates ``template`` before filling
    in ``params``, so the details need not leave a sentence half in English."""

    def __init__(self, message: str, field: str | None = None, **params: object) -> None:
        self.template = message
        self.params = params
        self.message = message.format(**params) if params else message
        super().__init__(self.message)
        self.field = field

    def naming(self, field: str) -> FundpoolError:
        """This refusal, blaming the caller's own field: a ledger error names the entry's
        (``postings``, ``effective_date``), which the request that made the entry does not
        have; the function that built the entry knows which of its inputs that was."""
        self.field = field
        return self


class InvalidInput(FundpoolError):
    """The request is well-formed but breaks a rule of the domain."""


class NotFound(FundpoolError):
    """The named record does not exist."""


class Conflict(FundpoolError):
    """The request clashes with the current state (a duplicate, a closed record)."""


class Forbidden(FundpoolError):
    """The caller's role or scope does not allow this."""


class Unauthenticated(FundpoolError):
    """No valid credentials were presented."""


class InsufficientFunds(Conflict):
    """A no-overdraft account's available balance would go below zero."""


class PeriodClosed(Conflict):
    """The entry is dated inside a closed accounting period."""


class TooManyRequests(FundpoolError):
    """The caller has done this too often lately; ``retry_after`` says when it may again."""

    def __init__(self, message: str, field: str | None = None, *, retry_after: int,
                 **params: object) -> None:
        super().__init__(message, field, **params)
        self.retry_after = retry_after


class Busy(FundpoolError):
    """Concurrent writers kept colliding; the request can be retried as it is."""
