"""Rejections a contract raises: one sentence saying why, returned to the caller as is."""


class Rejected(Exception):
    """A transaction refused by a contract; its message is the reason, in one sentence."""


class AccessDenied(Rejected):
    """The caller's organisation or role may not run this transaction."""


class InvalidArgument(Rejected):
    """An argument is malformed or out of range."""


class NotFound(Rejected):
    """A record the transaction needs does not exist."""


class Conflict(Rejected):
    """The transaction contradicts what the ledger already holds."""
