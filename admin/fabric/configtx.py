"""Channel configuration updates over the Fabric protos: an organisation's definition and its config
group, the update that adds or removes it, and what a given update does.

Computed here rather than with Fabric's ``configtxlator``: every admin who signs must decode the
update and check it against the registry before signing, which is Python work anyway; the update of
one organisation is a few dozen lines of Fabric's own algorithm (``compute_update`` below follows
``internal/configtxlator/update``); and no binary has to be shipped to every signer's machine.

An organisation's **definition** is what it hands the consortium to be admitted: its MSP id, its
verifying MSP (root and TLS root certificates, NodeOUs: as ``configtxgen`` reads an MSP folder) and
its anchor peers, as canonical JSON. Its SHA-256 is what an ``admit_node`` proposal names
(``definition_sha256``), so the signers of the channel update can check that the organisation
added is exactly the one the consortium approved. Its config group carries the policies every
organisation of the network has (``network/network.sh``'s configtx.yaml, bound by a test).
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from google.protobuf.message import DecodeError
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from fabric_protos.common import common_pb2, configtx_pb2, policies_pb2
from fabric_protos.msp import msp_config_pb2, msp_principal_pb2
from fabric_protos.peer import configuration_pb2 as peer_configuration_pb2

from chaincode import canonical_json

from ..errors import InputError

ADMINS = "Admins"
APPLICATION = "Application"
ORDERER = "Orderer"
MSP = "MSP"
ANCHOR_PEERS = "AnchorPeers"
#: Every organisation's policies: (name, roles any one of which satisfies it), as configtx.yaml has them.
ORG_POLICIES = (("Readers", ("admin", "peer", "client", "orderer")), ("Writers", ("admin", "client")),
                ("Admins", ("admin",)), ("Endorsement", ("peer",)))
_ROLES = {"member": msp_principal_pb2.MSPRole.MEMBER, "admin": msp_principal_pb2.MSPRole.ADMIN,
          "client": msp_principal_pb2.MSPRole.CLIENT, "peer": msp_principal_pb2.MSPRole.PEER,
          "orderer": msp_principal_pb2.MSPRole.ORDERER}
#: The MSP folders configtxgen reads (``msp/configbuilder.go``), by definition field.
_FOLDERS = (("root_certs", "cacerts"), ("intermediate_certs", "intermediatecerts"), ("admins", "admincerts"),
            ("revocation_list", "crls"), ("tls_root_certs", "tlscacerts"),
            ("tls_intermediate_certs", "tlsintermediatecerts"))
NODE_OUS = ("client", "peer", "admin", "orderer")


# -- an organisation's definition ------------------------------------------------------------------

def read_msp_folder(folder: Path, msp_id: str, anchor_peers: list[tuple[str, int]]) -> dict[str, Any]:
    """The definition of an organisation from its verifying MSP folder, read as configtxgen reads it:
    each folder's PEM files in name order, and config.yaml's NodeOUs and OU identifiers."""
    folder = Path(folder)
    definition: dict[str, Any] = {"msp_id": msp_id, "anchor_peers": [{"host": h, "port": p} for h, p in anchor_peers]}
    for field, name in _FOLDERS:
        sub = folder / name
        files = sorted(f for f in sub.iterdir() if f.is_file()) if sub.is_dir() else []
        definition[field] = [pem for pem in (f.read_text() for f in files) if "-----BEGIN" in pem]
    if not definition["root_certs"]:
        raise InputError("holds no CA certificate in cacerts/", str(folder))
    config = _msp_config_yaml(folder)
    definition["organizational_units"] = [
        {"certificate": (folder / ou["Certificate"]).read_text(), "ou": ou["OrganizationalUnitIdentifier"]}
        for ou in config.get("OrganizationalUnitIdentifiers") or []]
    node_ous = config.get("NodeOUs") or {}
    definition["node_ous"] = None
    if node_ous.get("Enable"):
        definition["node_ous"] = {}
        for kind in NODE_OUS:
            ou = node_ous.get(f"{kind.capitalize()}OUIdentifier") or {}
            if ou.get("OrganizationalUnitIdentifier"):
                cert = (folder / ou["Certificate"]).read_text() if ou.get("Certificate") else ""
                definition["node_ous"][kind] = {"certificate": cert, "ou": ou["OrganizationalUnitIdentifier"]}
    return definition


def _msp_config_yaml(folder: Path) -> dict[str, Any]:
    path = folder / "config.yaml"
    if not path.exists():
        return {}
    try:
        loaded = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", str(path)) from None
    return loaded if isinstance(loaded, dict) else {}


def definition_bytes(definition: dict[str, Any]) -> bytes:
    """The definition as it travels: canonical JSON (its SHA-256 is :func:`definition_sha256`)."""
    return canonical_json.dumpb(definition)


def definition_sha256(definition: dict[str, Any]) -> str:
    """What an admit_node proposal names to admit exactly this definition."""
    return hashlib.sha256(definition_bytes(definition)).hexdigest()


def load_definition(path: Path) -> dict[str, Any]:
    """A definition file (``nineten channel define``); InputError naming the file when it is not one."""
    try:
        definition = canonical_json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", str(path)) from None
    except ValueError as exc:
        raise InputError(f"not a definition (JSON): {exc}", str(path)) from None
    if not isinstance(definition, dict):
        raise InputError("not a definition: a JSON object is expected", str(path))
    try:
        org_group(definition)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"not a definition: {type(exc).__name__} {exc}", str(path)) from None
    return definition


# -- its config group ------------------------------------------------------------------------------

def org_group(definition: dict[str, Any]) -> configtx_pb2.ConfigGroup:
    """The organisation's config group in the Application group, as configtxgen makes it."""
    msp_id = definition["msp_id"]
    if not isinstance(msp_id, str) or not msp_id:
        raise ValueError("msp_id must be a non-empty string")
    group = configtx_pb2.ConfigGroup(mod_policy=ADMINS)
    for name, roles in ORG_POLICIES:
        group.policies[name].CopyFrom(configtx_pb2.ConfigPolicy(mod_policy=ADMINS, policy=_any_of(msp_id, roles)))
    group.values[MSP].CopyFrom(configtx_pb2.ConfigValue(
        mod_policy=ADMINS, value=msp_config_pb2.MSPConfig(type=0, config=_fabric_msp(definition).SerializeToString())
        .SerializeToString()))
    anchors = [peer_configuration_pb2.AnchorPeer(host=str(a["host"]), port=int(a["port"]))
               for a in definition["anchor_peers"]]
    if anchors:
        group.values[ANCHOR_PEERS].CopyFrom(configtx_pb2.ConfigValue(
            mod_policy=ADMINS, value=peer_configuration_pb2.AnchorPeers(anchor_peers=anchors).SerializeToString()))
    return group


def _any_of(msp_id: str, roles: tuple[str, ...]) -> policies_pb2.Policy:
    """``OR('<msp>.<role>', ...)`` as Fabric's policy language compiles it (one principal per term)."""
    envelope = policies_pb2.SignaturePolicyEnvelope(
        version=0,
        rule=policies_pb2.SignaturePolicy(n_out_of=policies_pb2.SignaturePolicy.NOutOf(
            n=1, rules=[policies_pb2.SignaturePolicy(signed_by=i) for i in range(len(roles))])),
        identities=[msp_principal_pb2.MSPPrincipal(
            principal_classification=msp_principal_pb2.MSPPrincipal.ROLE,
            principal=msp_principal_pb2.MSPRole(msp_identifier=msp_id, role=_ROLES[r]).SerializeToString())
            for r in roles])
    return policies_pb2.Policy(type=policies_pb2.Policy.SIGNATURE, value=envelope.SerializeToString())


def _fabric_msp(definition: dict[str, Any]) -> msp_config_pb2.FabricMSPConfig:
    def pems(field: str) -> list[bytes]:
        return [p.encode() for p in definition.get(field) or []]

    config = msp_config_pb2.FabricMSPConfig(
        name=definition["msp_id"], root_certs=pems("root_certs"), intermediate_certs=pems("intermediate_certs"),
        admins=pems("admins"), revocation_list=pems("revocation_list"), tls_root_certs=pems("tls_root_certs"),
        tls_intermediate_certs=pems("tls_intermediate_certs"),
        organizational_unit_identifiers=[msp_config_pb2.FabricOUIdentifier(
            certificate=ou["certificate"].encode(), organizational_unit_identifier=ou["ou"])
            for ou in definition.get("organizational_units") or []],
        crypto_config=msp_config_pb2.FabricCryptoConfig(signature_hash_family="SHA2",
                                                        identity_identifier_hash_function="SHA256"))
    if definition.get("node_ous") is not None:
        config.fabric_node_ous.enable = True
        for kind, ou in definition["node_ous"].items():
            target = getattr(config.fabric_node_ous, f"{kind}_ou_identifier")
            target.organizational_unit_identifier = ou["ou"]
            target.certificate = ou["certificate"].encode()
    return config


def definition_of(msp_id: str, group: configtx_pb2.ConfigGroup) -> dict[str, Any]:
    """The definition an organisation's config group carries (the inverse of :func:`org_group` for a
    group it made)."""
    msp = msp_config_pb2.FabricMSPConfig.FromString(
        msp_config_pb2.MSPConfig.FromString(group.values[MSP].value).config) if MSP in group.values else None
    anchors = (peer_configuration_pb2.AnchorPeers.FromString(group.values[ANCHOR_PEERS].value).anchor_peers
               if ANCHOR_PEERS in group.values else [])
    definition: dict[str, Any] = {"msp_id": msp_id, "anchor_peers": [{"host": a.host, "port": a.port} for a in anchors]}
    for field, _ in _FOLDERS:
        definition[field] = [p.decode() for p in getattr(msp, field)] if msp else []
    definition["organizational_units"] = [
        {"certificate": ou.certificate.decode(), "ou": ou.organizational_unit_identifier}
        for ou in (msp.organizational_unit_identifiers if msp else [])]
    definition["node_ous"] = None
    if msp is not None and msp.fabric_node_ous.enable:
        definition["node_ous"] = {}
        for kind in NODE_OUS:
            ou = getattr(msp.fabric_node_ous, f"{kind}_ou_identifier")
            if ou.organizational_unit_identifier:
                definition["node_ous"][kind] = {"certificate": ou.certificate.decode(),
                                                "ou": ou.organizational_unit_identifier}
    return definition


def is_standard(msp_id: str, group: configtx_pb2.ConfigGroup) -> bool:
    """Whether ``group`` is exactly the group of the definition it carries (the network's policies,
    nothing else, never modified since it was added)."""
    try:
        return org_group(definition_of(msp_id, group)) == group
    except (KeyError, TypeError, ValueError):
        return False


def root_fingerprints(definition: dict[str, Any]) -> list[str]:
    """SHA-256 fingerprints of the definition's root CA certificates (as ``openssl x509 -fingerprint``)."""
    return [x509.load_pem_x509_certificate(p.encode()).fingerprint(hashes.SHA256()).hex(":").upper()
            for p in definition["root_certs"]]


# -- updates -----------------------------------------------------------------------------------------

def compute_update(channel_id: str, original: configtx_pb2.ConfigGroup,
                   updated: configtx_pb2.ConfigGroup) -> configtx_pb2.ConfigUpdate:
    """The update that turns the channel group ``original`` into ``updated`` (configtxlator's
    ``compute_update``): its read set pins the versions it builds on, its write set bumps the
    version of every element whose members or content change."""
    read, write, changed = _group_update(original, updated)
    if not changed:
        raise ValueError("the configurations are the same")
    return configtx_pb2.ConfigUpdate(channel_id=channel_id, read_set=read, write_set=write)


def _items_update(original, updated, kind, same_content):
    """(write, same, members changed) of a map of policies or values."""
    write, same, members = {}, {}, False
    for name, old in original.items():
        if name not in updated:
            members = True
        elif same_content(old, updated[name]):
            same[name] = kind(version=old.version)
        else:
            write[name] = _element(kind, old.version + 1, updated[name])
    for name, new in updated.items():
        if name not in original:
            members = True
            write[name] = _element(kind, 0, new)
    return write, same, members


def _element(kind, version, source):
    element = kind(version=version, mod_policy=source.mod_policy)
    if kind is configtx_pb2.ConfigPolicy:
        element.policy.CopyFrom(source.policy)
    else:
        element.value = source.value
    return element


def _group_update(original: configtx_pb2.ConfigGroup, updated: configtx_pb2.ConfigGroup):
    """(read set, write set, whether anything changed) of one group, recursively."""
    w_pol, s_pol, m_pol = _items_update(original.policies, updated.policies, configtx_pb2.ConfigPolicy,
                                        lambda a, b: a.mod_policy == b.mod_policy and a.policy == b.policy)
    w_val, s_val, m_val = _items_update(original.values, updated.values, configtx_pb2.ConfigValue,
                                        lambda a, b: a.mod_policy == b.mod_policy and a.value == b.value)
    r_grp, w_grp, s_grp, m_grp = {}, {}, {}, False
    for name, old in original.groups.items():
        if name not in updated.groups:
            m_grp = True
            continue
        read, write, changed = _group_update(old, updated.groups[name])
        if changed:
            r_grp[name], w_grp[name] = read, write
        else:
            s_grp[name] = read
    for name, new in updated.groups.items():
        if name not in original.groups:
            m_grp = True
            _, write, _ = _group_update(configtx_pb2.ConfigGroup(), new)
            w_grp[name] = _group(0, new.mod_policy, write.policies, write.values, write.groups)
    if not (m_pol or m_val or m_grp or original.mod_policy != updated.mod_policy):
        if not (w_pol or w_val or r_grp or w_grp):
            return configtx_pb2.ConfigGroup(version=original.version), \
                configtx_pb2.ConfigGroup(version=original.version), False
        return (_group(original.version, "", {}, {}, r_grp),
                _group(original.version, "", w_pol, w_val, w_grp), True)
    return (_group(original.version, "", s_pol, s_val, {**r_grp, **s_grp}),
            _group(original.version + 1, updated.mod_policy, {**w_pol, **s_pol}, {**w_val, **s_val},
                   {**w_grp, **s_grp}), True)


def _group(version: int, mod_policy: str, policies, values, groups) -> configtx_pb2.ConfigGroup:
    group = configtx_pb2.ConfigGroup(version=version, mod_policy=mod_policy)
    for name, policy in policies.items():
        group.policies[name].CopyFrom(policy)
    for name, value in values.items():
        group.values[name].CopyFrom(value)
    for name, sub in groups.items():
        group.groups[name].CopyFrom(sub)
    return group


def with_org(channel: configtx_pb2.ConfigGroup, msp_id: str,
             group: configtx_pb2.ConfigGroup | None) -> configtx_pb2.ConfigGroup:
    """A copy of the channel group with the Application organisation ``msp_id`` set to ``group``
    (None: removed)."""
    updated = configtx_pb2.ConfigGroup()
    updated.CopyFrom(channel)
    orgs = updated.groups[APPLICATION].groups
    if group is None:
        del orgs[msp_id]
    else:
        orgs[msp_id].CopyFrom(group)
    return updated


def application_orgs(channel: configtx_pb2.ConfigGroup) -> list[str]:
    """The MSP ids of the channel's Application organisations, sorted."""
    return sorted(channel.groups[APPLICATION].groups)


def orderer_orgs(channel: configtx_pb2.ConfigGroup) -> list[str]:
    """The MSP ids of the organisations of the channel's ordering service, sorted."""
    return sorted(channel.groups[ORDERER].groups) if ORDERER in channel.groups else []


def stale(channel: configtx_pb2.ConfigGroup, read_set: configtx_pb2.ConfigGroup) -> list[str]:
    """The elements the update's read set pins at a version the channel no longer has ([] when it
    still applies)."""
    found: list[str] = []

    def walk(current, read, path):
        if current is None or current.version != read.version:
            found.append(path or "/Channel")
            return
        for kind in ("policies", "values"):
            for name, element in getattr(read, kind).items():
                mine = getattr(current, kind).get(name)
                if mine is None or mine.version != element.version:
                    found.append(f"{path}/{name}")
        for name, sub in read.groups.items():
            walk(current.groups[name] if name in current.groups else None, sub, f"{path}/{name}")

    walk(channel, read_set, "")
    return found


# -- the update file: a CONFIG_UPDATE envelope, as `peer channel signconfigtx` and `update` take it --

def update_envelope(update: configtx_pb2.ConfigUpdate,
                    signatures: list[configtx_pb2.ConfigSignature] = ()) -> configtx_pb2.ConfigUpdateEnvelope:
    return configtx_pb2.ConfigUpdateEnvelope(config_update=update.SerializeToString(), signatures=list(signatures))


def update_payload(channel_id: str, body: configtx_pb2.ConfigUpdateEnvelope, signature_header: bytes = b"",
                   timestamp_ns: int = 0) -> bytes:
    """The payload of an update's envelope: a CONFIG_UPDATE header (with the signer's signature
    header, if any) and the config update envelope."""
    header = common_pb2.ChannelHeader(type=common_pb2.HeaderType.CONFIG_UPDATE, channel_id=channel_id)
    if timestamp_ns:
        header.timestamp.FromNanoseconds(timestamp_ns)
    return common_pb2.Payload(header=common_pb2.Header(channel_header=header.SerializeToString(),
                                                       signature_header=signature_header),
                              data=body.SerializeToString()).SerializeToString()


def unsigned_envelope(channel_id: str, body: configtx_pb2.ConfigUpdateEnvelope) -> common_pb2.Envelope:
    """An envelope nobody signed yet (``sign`` and ``submit`` sign theirs)."""
    return common_pb2.Envelope(payload=update_payload(channel_id, body))


def read_update_file(path: Path, channel_id: str) -> tuple[configtx_pb2.ConfigUpdateEnvelope, configtx_pb2.ConfigUpdate]:
    """The config update envelope of an update file and its update; InputError naming the file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", str(path)) from None
    try:
        payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(data).payload)
        header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
        body = configtx_pb2.ConfigUpdateEnvelope.FromString(payload.data)
        update = configtx_pb2.ConfigUpdate.FromString(body.config_update)
    except DecodeError as exc:
        raise InputError(f"not a channel update (a CONFIG_UPDATE envelope): {exc}", str(path)) from None
    if header.type != common_pb2.HeaderType.CONFIG_UPDATE or not update.HasField("write_set"):
        raise InputError("not a channel update (a CONFIG_UPDATE envelope)", str(path))
    if header.channel_id != channel_id or update.channel_id != channel_id:
        raise InputError(f"updates channel {update.channel_id or header.channel_id!r}, not {channel_id!r}", str(path))
    return body, update


# -- what an update does -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """An update's effect: an organisation admitted (with its group) or removed."""

    action: str                                   # "admit" or "remove"
    msp_id: str
    group: configtx_pb2.ConfigGroup | None = None

    @property
    def definition(self) -> dict[str, Any] | None:
        return definition_of(self.msp_id, self.group) if self.group is not None else None


def update_for(channel_id: str, channel: configtx_pb2.ConfigGroup, change: Change) -> configtx_pb2.ConfigUpdate:
    """The update that makes ``change`` to the channel group."""
    return compute_update(channel_id, channel, with_org(channel, change.msp_id, change.group))


def change_of(channel_id: str, channel: configtx_pb2.ConfigGroup, update: configtx_pb2.ConfigUpdate) -> Change:
    """What ``update`` does to the channel group, which must be exactly one organisation added to or
    removed from the Application group and nothing else: ValueError saying why otherwise. (The
    update is compared with the one :func:`update_for` computes for that change.)"""
    application = update.write_set.groups.get(APPLICATION)
    current = set(application_orgs(channel))
    written = set(application.groups) if application is not None else set()
    added, removed = sorted(written - current), sorted(current - written)
    if application is None or application.version != channel.groups[APPLICATION].version + 1 \
            or len(added) + len(removed) != 1:
        raise ValueError("it does not add or remove exactly one organisation of the channel")
    if added:
        group = configtx_pb2.ConfigGroup()
        group.CopyFrom(application.groups[added[0]])
        change = Change("admit", added[0], group)
    else:
        change = Change("remove", removed[0])
    if update_for(channel_id, channel, change) != update:
        raise ValueError(f"it changes more than {'adding' if added else 'removing'} {change.msp_id}")
    return change
