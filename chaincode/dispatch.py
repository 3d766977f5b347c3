"""The chaincode: every contract behind one dispatcher, served to Fabric or run in-process.

The dispatcher runs a 9ten transaction itself (the contract method, called with its context and
string arguments) and answers each refusal kind with its own status (:mod:`chaincode.errors`:
400, 403, 404, 409), so a client tells the kinds apart on either backend. Fabric's system contract
(metadata) and unknown names go through the contract API package as usual.
"""

import inspect
from typing import Any, Callable

from fabric_chaincode_python.fabric_contract_api.contractapi import ContractChaincode
from fabric_chaincode_python.fabric_contract_api.contractapi.system_contract import SystemContractName
from fabric_chaincode_python.fabric_contract_api.metadata import ContractChaincodeMetadata
from fabric_chaincode_python.fabric_shim.response import success
from fabric_protos.peer import proposal_response_pb2

from .contracts.allocations import Allocations
from .contracts.audit import Audit
from .contracts.history import History
from .contracts.listening import Listening
from .contracts.registry import Registry
from .contracts.reviews import Reviews
from .contracts.settlement import Settlement
from .contracts.subscriptions import Subscriptions
from .contracts.worldstate import WorldState
from .errors import INTERNAL, Rejected

CONTRACTS = (Registry, Subscriptions, Listening, Allocations, Reviews, Settlement, Audit, WorldState, History)


def refusal(status: int, message: str) -> proposal_response_pb2.Response:
    """A chaincode response refusing the transaction with ``status`` and one sentence."""
    return proposal_response_pb2.Response(status=status, message=message)


class NinetenChaincode(ContractChaincode):
    """ContractChaincode with Fabric's ``GetMetadata`` name, refusals by kind, and arity errors
    that name the arguments."""

    transactions: dict[tuple[str, str], tuple[Callable[..., Any], list[str]]]

    def _augment_metadata(self) -> None:
        """The metadata reflected from the contracts, without the contract API's extras: a metadata
        file read from the working folder, and a JSON schema compiled (by jsonschema) for every
        argument and result. The dispatcher hands 9ten transactions their string arguments itself,
        so those schemas were never used; compiling them took most of a process's start-up."""
        self._metadata = ContractChaincodeMetadata()
        self._metadata.append(self._reflect_metadata())

    def _get_namespace_function_and_params(self, stub):
        namespace, function, params = super()._get_namespace_function_and_params(stub)
        if namespace == SystemContractName and function == "GetMetadata":
            function = "get_metadata"
        return namespace, function, params

    async def invoke(self, stub):
        namespace, function, params = self._get_namespace_function_and_params(stub)
        found = self.transactions.get((namespace, function))
        if found is None:
            return await super().invoke(stub)
        method, expected = found
        if len(params) != len(expected):
            return refusal(400, f"{namespace}:{function} takes {len(expected)} argument(s) "
                                f"({', '.join(expected) or 'none'}), got {len(params)}.")
        context = method.__self__.TransactionContextHandler()
        context.set_stub(stub)
        try:
            payload = await method(context, *params)
        except Rejected as exc:
            return refusal(exc.status, str(exc))
        except Exception as exc:  # a bug, or the peer failing a stub call: not a refusal
            return refusal(INTERNAL, f"{type(exc).__name__}: {exc}")
        return success(payload)


def _parameters(method) -> list[str]:
    return [p for p in inspect.signature(method).parameters if p not in ("ctx",)]


def transaction_methods(contract: Any) -> dict[str, Callable[..., Any]]:
    """The transactions of a contract instance by name: its public coroutine methods."""
    return {name: getattr(contract, name) for name in dir(type(contract))
            if name[:1].isupper() and name not in ("Name", "Info")
            and inspect.iscoroutinefunction(getattr(contract, name))}


def build_chaincode() -> NinetenChaincode:
    """The chaincode with every 9ten contract registered."""
    contracts = [cls() for cls in CONTRACTS]
    chaincode = NinetenChaincode.new_chaincode(*contracts)
    chaincode.transactions = {(c.Name, name): (method, _parameters(method))
                              for c in contracts for name, method in transaction_methods(c).items()}
    return chaincode
