"""Errors that carry their own exit code; the CLI prints them at one boundary."""


class FravaerError(Exception):
    """A problem the user can act on. The message is Norwegian and complete."""

    exit_code = 70


class InputError(FravaerError):
    exit_code = 2


class NotFoundError(FravaerError):
    exit_code = 3


class ConflictError(FravaerError):
    exit_code = 4


class StoreError(FravaerError):
    exit_code = 5
