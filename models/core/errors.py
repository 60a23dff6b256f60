"""Errors whose message is meant for the person who asked."""


class UserFacingError(Exception):
    """The request cannot be done as asked; `str(error)` explains why, politely."""


class NotFound(UserFacingError):
    pass


class NotAllowed(UserFacingError):
    pass


class StaleRequest(UserFacingError):
    """A button from an earlier state of the conversation was pressed."""


class InvalidInput(UserFacingError):
    """One named input is wrong; `field` lets a form show the message next to it."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field
