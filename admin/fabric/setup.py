"""Making a ledger folder for a Fabric network: each node's identities, enrolled at its organisation's CA."""

from pathlib import Path
from typing import Any, Iterable

from chaincode.identity import ROLES

from ..wallet import Wallet, identity_name
from .ca import FabricCA
from .profile import load_profile, organisation_of, organisations


def node_cas(nodes: Iterable[dict[str, Any]], profile_path: Path) -> dict[str, FabricCA]:
    """Each node's CA, by node id: the organisation of the profile with the node's msp_id."""
    profile = load_profile(profile_path)
    orgs = organisations(profile, profile_path)
    return {n["id"]: FabricCA(organisation_of(orgs, n["id"], n["msp_id"], profile_path), profile_path)
            for n in nodes}


def enroll_identities(folder: Path, nodes: Iterable[dict[str, Any]], profile_path: Path) -> list[str]:
    """Register and enroll ``<node>.<role>`` for every node and role into the folder's wallet."""
    wallet = Wallet(Path(folder) / "wallet")
    for node_id, ca in node_cas(nodes, profile_path).items():
        for role in ROLES:
            wallet.put(ca.issue(identity_name(node_id, role), role))
    return wallet.names()
