"""Every error the tooling reports, with its exit code; the CLI turns each into a message at its edge.

Exit codes: 1 a check found a difference, 2 bad input, 3 the ledger refused the transaction (one
subclass per refusal kind, from the chaincode's response status), 4 configuration missing.
"""


class NinetenError(Exception):
    """Base of every error the CLI reports to the user."""

    exit_code = 1


class CheckFailed(NinetenError):
    """A verification found differences: each already printed (no message), or in the message."""

    exit_code = 1


class Mismatch(CheckFailed):
    """A file does not match the chain; ``differences`` says how (each printed as a MISMATCH line)."""

    def __init__(self, message: str, differences: list[str]) -> None:
        self.differences = differences
        super().__init__(message)


class ChainInconsistent(CheckFailed):
    """What the chain answers does not hold together (a record without a write in its key history)."""


class InputError(NinetenError):
    """A bad input file or value, located by file, line and field where known."""

    exit_code = 2

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.message, self.file, self.line, self.field = message, file, line, field
        where = ":".join(str(p) for p in (file, line) if p is not None)
        prefix = f"{where}: " if where else ""
        prefix += f"field {field}: " if field else ""
        super().__init__(prefix + message)


class LedgerRejected(NinetenError):
    """The ledger refused a transaction; the message is its reason, in one sentence."""

    exit_code = 3
    status: int | None = None

    def __init__(self, function: str, message: str) -> None:
        self.function, self.message = function, message
        super().__init__(f"{function} refused: {message}")

    @staticmethod
    def of(function: str, status: int, message: str) -> "LedgerRejected":
        """The refusal of the kind the chaincode answered with ``status``."""
        return _BY_STATUS.get(status, LedgerRejected)(function, message)


class InvalidArgumentRejected(LedgerRejected):
    """An argument was malformed or out of range (status 400)."""

    status = 400


class AccessRejected(LedgerRejected):
    """The identity's organisation or role may not run the transaction (status 403)."""

    status = 403


class NotFoundRejected(LedgerRejected):
    """A record the transaction needs does not exist (status 404)."""

    status = 404


class ConflictRejected(LedgerRejected):
    """The transaction contradicts what the ledger holds (status 409)."""

    status = 409


class EndorsementRejected(LedgerRejected):
    """The endorsements do not vouch for one result of the proposal; nothing was written."""


class ReadConflictRejected(LedgerRejected):
    """A key the transaction read changed before it was committed (Fabric's MVCC read conflict)."""


class LedgerBusy(LedgerRejected):
    """Another writer held the ledger longer than this one would wait; nothing was written."""


_BY_STATUS = {kind.status: kind for kind in (InvalidArgumentRejected, AccessRejected, NotFoundRejected,
                                             ConflictRejected)}


class ConfigError(NinetenError):
    """The ledger folder, wallet or connection profile is missing or unusable."""

    exit_code = 4
