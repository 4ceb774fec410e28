"""The refusals of the fares package: each carries a stable ``code`` and a message for people."""

from __future__ import annotations


class CodedError(Exception):
    """A refusal with a stable ``code`` (for programs) and a ``message`` (for people)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
