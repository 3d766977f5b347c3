"""The errors of the admin tooling; the CLI turns each into a message and a non-zero exit."""


class NinetenError(Exception):
    """Base of every error the CLI reports to the user."""

    exit_code = 1


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
    """The chaincode refused a transaction; the message is its reason."""

    exit_code = 3

    def __init__(self, function: str, message: str) -> None:
        self.function, self.message = function, message
        super().__init__(f"{function} refused: {message}")


class ConfigError(NinetenError):
    """The ledger folder, wallet or gateway profile is missing or unusable."""

    exit_code = 4
