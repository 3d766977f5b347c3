"""The channel's configuration on a Fabric network: read through a peer (``cscc``), signed by the
organisations' admins, each with its own key, and submitted to the ordering service.

Who may change what is the channel's own policies (configtx.yaml, ``network/network.sh``): the
Application group's ``mod_policy`` is ``Admins`` = ``MAJORITY Admins``, so adding or removing an
organisation needs the signatures of the admins (the ``admin`` NodeOU of each organisation's CA)
of more than half of the channel's organisations; the orderers check them (``submit`` only checks
first, to say what is missing).
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fabric_protos.common import common_pb2, configtx_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.orderer import ab_pb2_grpc

from .. import membership
from ..client import Connection
from ..errors import ConfigError, ConflictRejected, InputError, LedgerRejected
from ..membership import CHANNEL_UPDATE
from ..wallet import Identity
from . import configtx
from .client import CONNECT_TIMEOUT, RETRY_FOR, RETRY_MAX_PAUSE, FabricClient, _creator
from .profile import load_profile

#: How long ``submit`` waits for the caller's peer to hold the new configuration.
APPLIED_WITHIN = 60.0
BROADCAST_TIMEOUT = 30.0


def fabric_client(connection: Connection) -> FabricClient:
    """The connection's Fabric client; ConfigError on the embedded ledger, which has no channel."""
    if not isinstance(connection.client, FabricClient):
        raise ConfigError("the embedded ledger has no channel: pass --gateway PROFILE (a Fabric network).")
    return connection.client


def read_config(connection: Connection) -> configtx_pb2.Config:
    """The channel's current configuration, from the connection's organisation's peer."""
    client = fabric_client(connection)
    return configtx_pb2.Config.FromString(
        client.system_query(connection.identity, "cscc", "GetChannelConfig", client.channel))


def org_admin(profile_path: Path, org: str) -> Identity:
    """The admin of organisation ``org`` (its name in the profile or its MSP id): the certificate
    and key of the profile's ``admin`` entry (the admin NodeOU of the organisation's CA)."""
    orgs = load_profile(profile_path).get("organizations") or {}
    entry = orgs.get(org) or next((o for o in orgs.values() if o.get("msp_id") == org), None)
    if entry is None:
        raise ConfigError(f"no organisation {org} in the connection profile {profile_path} "
                          f"(it has: {', '.join(sorted(orgs)) or 'none'}).")
    admin = entry.get("admin") or {}
    try:
        return Identity(f"{entry['msp_id']} admin", entry["msp_id"], Path(admin["cert"]).read_bytes(),
                        Path(admin["key"]).read_bytes())
    except (KeyError, OSError) as exc:
        raise ConfigError(f"the connection profile {profile_path} gives no readable admin certificate and "
                          f"key of {entry.get('msp_id', org)} ({exc}); an organisation's admin signs with "
                          "its own key, on its own machine.") from None


def signed_envelope(channel_id: str, body: configtx_pb2.ConfigUpdateEnvelope, signer: Identity) -> common_pb2.Envelope:
    """The update as an envelope ``signer`` signed (as ``peer channel signconfigtx`` writes it)."""
    signature = common_pb2.SignatureHeader(creator=_creator(signer), nonce=os.urandom(24))
    payload = configtx.update_payload(channel_id, body, signature.SerializeToString(), time.time_ns())
    return common_pb2.Envelope(payload=payload, signature=signer.sign(payload))


def add_signature(body: configtx_pb2.ConfigUpdateEnvelope, admin: Identity) -> configtx_pb2.ConfigUpdateEnvelope:
    """The update with ``admin``'s signature added (over its signature header and the update)."""
    header = common_pb2.SignatureHeader(creator=_creator(admin), nonce=os.urandom(24)).SerializeToString()
    signed = configtx_pb2.ConfigUpdateEnvelope()
    signed.CopyFrom(body)
    signed.signatures.add(signature_header=header, signature=admin.sign(header + body.config_update))
    return signed


@dataclass(frozen=True)
class Signature:
    """One signature of an update: who signed and whether it counts for the channel's Admins policy."""

    msp_id: str
    subject: str
    counts: bool
    why_not: str = ""


def signatures(channel: configtx_pb2.ConfigGroup, body: configtx_pb2.ConfigUpdateEnvelope) -> list[Signature]:
    """Each signature of the update, checked as the orderers will: an admin (NodeOU ``admin``)
    of an organisation of the channel, certified by its CA, over this update."""
    found = []
    for item in body.signatures:
        creator = identities_pb2.SerializedIdentity.FromString(
            common_pb2.SignatureHeader.FromString(item.signature_header).creator)
        try:
            cert = x509.load_pem_x509_certificate(creator.id_bytes)
        except ValueError:
            found.append(Signature(creator.mspid, "?", False, "its certificate is not PEM X.509"))
            continue
        subject = cert.subject.rfc4514_string()
        found.append(Signature(creator.mspid, subject, *_counts(channel, creator.mspid, cert, item, body)))
    return found


def _counts(channel, msp_id: str, cert: x509.Certificate, item, body) -> tuple[bool, str]:
    orgs = channel.groups[configtx.APPLICATION].groups
    if msp_id not in orgs:
        return False, f"{msp_id} is not an organisation of the channel"
    definition = configtx.definition_of(msp_id, orgs[msp_id])
    roots = [x509.load_pem_x509_certificate(p.encode()) for p in definition["root_certs"]]
    if not any(_issued_by(cert, root) for root in roots):
        return False, f"its certificate is not issued by {msp_id}'s CA"
    admin_ou = ((definition["node_ous"] or {}).get("admin") or {}).get("ou", "admin")
    if admin_ou not in [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]:
        return False, f"it is not an admin of {msp_id} (no OU {admin_ou})"
    try:
        cert.public_key().verify(item.signature, item.signature_header + body.config_update,
                                 ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False, "the signature does not verify"
    return True, ""


def _issued_by(cert: x509.Certificate, root: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(root)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def majority(channel: configtx_pb2.ConfigGroup) -> int:
    """How many organisations' admins the channel's ``MAJORITY Admins`` needs."""
    return len(configtx.application_orgs(channel)) // 2 + 1


def broadcast(profile: dict[str, Any], envelope: common_pb2.Envelope, prefer_msp: str) -> str:
    """Send the envelope to the ordering service (the submitter's organisation's orderer first, then
    the others, while one answers SERVICE_UNAVAILABLE: no Raft leader yet); the orderer that took it.
    A refusal raises LedgerRejected with the orderer's reason (403: a policy it does not satisfy)."""
    orderers = sorted(profile.get("orderers") or [], key=lambda o: o.get("msp_id") != prefer_msp)
    if not orderers:
        raise ConfigError("the connection profile lists no orderer.")
    deadline, last = time.monotonic() + RETRY_FOR, ""
    while True:
        for orderer in orderers:
            answer = _broadcast_to(orderer, envelope)
            if answer is None:
                last = f"{orderer['name']} is unreachable"
                continue
            if answer.status == common_pb2.Status.SUCCESS:
                return orderer["name"]
            if answer.status != common_pb2.Status.SERVICE_UNAVAILABLE:
                raise LedgerRejected.of(CHANNEL_UPDATE, answer.status,
                                        f"{orderer['name']} answered {common_pb2.Status.Name(answer.status)}: {answer.info}")
            last = f"{orderer['name']}: {answer.info}"
        if time.monotonic() > deadline:
            raise ConfigError(f"no orderer took the update within {RETRY_FOR:.0f}s ({last}).")
        time.sleep(RETRY_MAX_PAUSE)


def _broadcast_to(orderer: dict[str, Any], envelope: common_pb2.Envelope):
    """The orderer's answer to the envelope, or None when it cannot be reached."""
    try:
        root = Path(orderer["tls_ca_cert"]).read_bytes()
    except (KeyError, OSError) as exc:
        raise ConfigError(f"cannot read the TLS CA certificate of orderer {orderer.get('name')}: {exc}.") from None
    options = [("grpc.ssl_target_name_override", orderer["ssl_target_name_override"])] \
        if orderer.get("ssl_target_name_override") else []
    with grpc.secure_channel(orderer["address"], grpc.ssl_channel_credentials(root), options=options) as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=CONNECT_TIMEOUT)
            return next(ab_pb2_grpc.AtomicBroadcastStub(channel).Broadcast(iter([envelope]),
                                                                           timeout=BROADCAST_TIMEOUT))
        except (grpc.FutureTimeoutError, grpc.RpcError):
            return None


def wait_for(connection: Connection, sequence: int) -> configtx_pb2.Config:
    """The channel's configuration once the connection's peer holds ``sequence`` or later."""
    deadline = time.monotonic() + APPLIED_WITHIN
    while True:
        config = read_config(connection)
        if config.sequence >= sequence:
            return config
        if time.monotonic() > deadline:
            raise ConfigError(f"the peer still holds configuration {config.sequence} of the channel after "
                              f"{APPLIED_WITHIN:.0f}s; the update was sent (see the orderers' logs).")
        time.sleep(0.5)


# -- an update, judged against the channel and the registry ------------------------------------------

@dataclass(frozen=True)
class Assessment:
    """What an update does to the channel as it is now, the registry's decision that allows it, and
    its signatures."""

    config: configtx_pb2.Config
    change: configtx.Change
    proposal: dict[str, Any] | None
    signatures: list[Signature]

    @property
    def needed(self) -> int:
        return majority(self.config.channel_group)

    @property
    def signed_by(self) -> list[str]:
        """The organisations whose admin's signature counts, sorted."""
        return sorted({s.msp_id for s in self.signatures if s.counts})


def registry(reader: Connection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The registry's nodes and applied proposals."""
    from chaincode.contracts.registry import Registry

    return reader.evaluate(Registry.ListNodes), reader.evaluate(Registry.ListProposals, "applied")


def decision(reader: Connection, change: configtx.Change) -> dict[str, Any] | None:
    """The registry's applied proposal that allows ``change``; ConflictRejected saying why not."""
    nodes, proposals = registry(reader)
    if change.action == "remove":
        return membership.removal(nodes, proposals, change.msp_id)
    if not configtx.is_standard(change.msp_id, change.group):
        raise ConflictRejected(CHANNEL_UPDATE, f"the group of {change.msp_id} in this update is not the one its "
                                               "definition makes: its policies or values differ from every "
                                               "organisation's of the network.")
    return membership.admission(nodes, proposals, change.msp_id, configtx.definition_sha256(change.definition))


def prepare(reader: Connection, change: configtx.Change) -> tuple[common_pb2.Envelope, Assessment]:
    """The unsigned update that makes ``change`` (refused unless the registry decided it), and its
    assessment."""
    client, config = fabric_client(reader), read_config(reader)
    present = change.msp_id in configtx.application_orgs(config.channel_group)
    if present == (change.action == "admit"):
        raise ConflictRejected(CHANNEL_UPDATE, f"{change.msp_id} is {'already' if present else 'not'} an "
                                               f"organisation of channel {client.channel}; nothing to change.")
    proposal = decision(reader, change)
    update = configtx.update_for(client.channel, config.channel_group, change)
    body = configtx.update_envelope(update)
    return configtx.unsigned_envelope(client.channel, body), Assessment(config, change, proposal, [])


def assess(reader: Connection, path: Path) -> tuple[configtx_pb2.ConfigUpdateEnvelope, Assessment]:
    """An update file judged against the channel now and the registry: InputError when it is not one
    organisation admitted or removed, ConflictRejected when the channel moved on since it was
    prepared or the registry does not allow it."""
    client, config = fabric_client(reader), read_config(reader)
    body, update = configtx.read_update_file(path, client.channel)
    moved = configtx.stale(config.channel_group, update.read_set)
    if moved:
        raise ConflictRejected(CHANNEL_UPDATE, f"channel {client.channel} changed since {path} was prepared "
                               f"({', '.join(moved[:3])} moved on, configuration {config.sequence} now); "
                               "prepare the update again.")
    try:
        change = configtx.change_of(client.channel, config.channel_group, update)
    except ValueError as exc:
        raise InputError(f"not an update nineten signs: {exc}", str(path)) from None
    return body, Assessment(config, change, decision(reader, change), signatures(config.channel_group, body))


def organisations(config: configtx_pb2.Config) -> dict[str, membership.ChannelOrg]:
    """The channel's Application organisations, by MSP id."""
    groups = config.channel_group.groups[configtx.APPLICATION].groups
    return {msp_id: membership.ChannelOrg(msp_id, configtx.definition_sha256(configtx.definition_of(msp_id, group)),
                                          configtx.is_standard(msp_id, group))
            for msp_id, group in groups.items()}


def write_file(path: Path, envelope: common_pb2.Envelope) -> None:
    """Write an update file whole (a new file renamed over the old)."""
    temporary = Path(path).with_name(Path(path).name + ".tmp")
    temporary.write_bytes(envelope.SerializeToString())
    os.replace(temporary, path)
