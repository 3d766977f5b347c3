"""Refusals a contract raises: one sentence saying why, and a kind the caller can act on.

Each kind travels on the wire as its chaincode response status (Fabric treats any status of 400
or more as a refusal), identically on Fabric and on the embedded ledger, so clients tell the kinds
apart without reading the sentence.
"""


class Rejected(Exception):
    """A transaction refused by a contract; its message is the reason, in one sentence."""

    status = 400


class InvalidArgument(Rejected):
    """An argument is malformed or out of range."""

    status = 400


class AccessDenied(Rejected):
    """The caller's organisation or role may not run this transaction."""

    status = 403


class NotFound(Rejected):
    """A record the transaction needs does not exist."""

    status = 404


class Conflict(Rejected):
    """The transaction contradicts what the ledger already holds."""

    status = 409


#: The status of a failure that is not a refusal (a bug, or a peer that failed the stub's call).
INTERNAL = 500
#: Every refusal kind by its status.
KINDS = {kind.status: kind for kind in (InvalidArgument, AccessDenied, NotFound, Conflict)}
