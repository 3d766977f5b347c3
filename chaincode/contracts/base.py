"""The base class of every 9ten contract."""

from fabric_chaincode_python.fabric_contract_api.contractapi import Contract

from ..state import LedgerContext


class LedgerContract(Contract):
    """A contract run with a LedgerContext; ``EVALUATE`` names its read-only transactions.

    Every public method is a transaction on the wire as ``Name:Method``; helpers live in
    modules, not on the class.
    """

    TransactionContextHandler = LedgerContext
    EVALUATE: tuple[str, ...] = ()

    def get_evaluate_transactions(self) -> list[str]:
        return list(self.EVALUATE)
