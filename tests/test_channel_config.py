"""Channel updates over the Fabric protos (admin.fabric.configtx, admin.fabric.channel's signature
checks) on a channel configuration made here: what is added or removed, and what is refused.

The same code against the real network's configtxgen-made channel is in test_fabric_membership.
"""

import datetime as dt
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from admin.errors import InputError
from admin.fabric import channel, configtx
from admin.wallet import Identity
from fabric_protos.common import configtx_pb2, policies_pb2

CHANNEL = "nineten"


class CA:
    """A self-signed CA issuing certificates with an OU, as cryptogen's with NodeOUs."""

    def __init__(self, name: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = self._cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), self.key.public_key(), True)

    def _cert(self, subject, public_key, ca: bool, issuer=None):
        now = dt.datetime.now(dt.timezone.utc)
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer or subject)
                .public_key(public_key).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                .sign(self.key, hashes.SHA256()))

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    def identity(self, msp_id: str, ou: str) -> Identity:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
                             x509.NameAttribute(NameOID.COMMON_NAME, f"{ou}@{msp_id}")])
        cert = self._cert(subject, key.public_key(), False, self.cert.subject)
        return Identity(f"{msp_id} {ou}", msp_id, cert.public_bytes(serialization.Encoding.PEM),
                        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))


def definition(msp_id: str, ca: CA, port: int = 7051) -> dict:
    tls = CA(f"tlsca.{msp_id}")
    return {"msp_id": msp_id, "anchor_peers": [{"host": "127.0.0.1", "port": port}], "root_certs": [ca.pem],
            "intermediate_certs": [], "admins": [], "revocation_list": [], "tls_root_certs": [tls.pem],
            "tls_intermediate_certs": [], "organizational_units": [],
            "node_ous": {kind: {"certificate": ca.pem, "ou": kind} for kind in configtx.NODE_OUS}}


def implicit(rule: int, name: str) -> configtx_pb2.ConfigPolicy:
    meta = policies_pb2.ImplicitMetaPolicy(sub_policy=name, rule=rule)
    return configtx_pb2.ConfigPolicy(mod_policy="Admins", policy=policies_pb2.Policy(
        type=policies_pb2.Policy.IMPLICIT_META, value=meta.SerializeToString()))


@pytest.fixture(scope="module")
def cas():
    return {f"Org{i}MSP": CA(f"ca.org{i}") for i in range(1, 6)}


@pytest.fixture(scope="module")
def channel_group(cas):
    """A channel of Org1MSP..Org4MSP whose Application group changes by MAJORITY Admins."""
    group = configtx_pb2.ConfigGroup(mod_policy="Admins")
    app = group.groups[configtx.APPLICATION]
    app.mod_policy = "Admins"
    for name, rule in (("Admins", policies_pb2.ImplicitMetaPolicy.MAJORITY),
                       ("Readers", policies_pb2.ImplicitMetaPolicy.ANY)):
        app.policies[name].CopyFrom(implicit(rule, name))
    for i in range(1, 5):
        msp_id = f"Org{i}MSP"
        app.groups[msp_id].CopyFrom(configtx.org_group(definition(msp_id, cas[msp_id], 7051 + 1000 * i)))
    group.groups[configtx.ORDERER].groups["Org1MSP"].mod_policy = "Admins"
    return group


def test_admitting_an_organisation_writes_its_group_and_pins_the_others(channel_group, cas):
    group = configtx.org_group(definition("Org5MSP", cas["Org5MSP"]))
    update = configtx.update_for(CHANNEL, channel_group, configtx.Change("admit", "Org5MSP", group))
    assert update.channel_id == CHANNEL
    read, write = update.read_set.groups[configtx.APPLICATION], update.write_set.groups[configtx.APPLICATION]
    assert (read.version, write.version, write.mod_policy) == (0, 1, "Admins")
    assert sorted(read.groups) == ["Org1MSP", "Org2MSP", "Org3MSP", "Org4MSP"]
    assert sorted(write.groups) == ["Org1MSP", "Org2MSP", "Org3MSP", "Org4MSP", "Org5MSP"]
    assert write.groups["Org1MSP"] == configtx_pb2.ConfigGroup(version=0)   # unchanged: only its version
    assert write.groups["Org5MSP"] == group
    assert sorted(write.policies) == ["Admins", "Readers"] and not write.policies["Admins"].HasField("policy")
    change = configtx.change_of(CHANNEL, channel_group, update)
    assert (change.action, change.msp_id, change.group) == ("admit", "Org5MSP", group)
    assert change.definition == configtx.definition_of("Org5MSP", group)


def test_removing_an_organisation_rewrites_the_application_group_without_it(channel_group):
    update = configtx.update_for(CHANNEL, channel_group, configtx.Change("remove", "Org4MSP"))
    write = update.write_set.groups[configtx.APPLICATION]
    assert (write.version, sorted(write.groups)) == (1, ["Org1MSP", "Org2MSP", "Org3MSP"])
    assert configtx.change_of(CHANNEL, channel_group, update) == configtx.Change("remove", "Org4MSP")


def test_an_update_that_changes_anything_else_is_not_one_nineten_signs(channel_group, cas):
    group = configtx.org_group(definition("Org5MSP", cas["Org5MSP"]))
    weaker = configtx.with_org(channel_group, "Org5MSP", group)
    weaker.groups[configtx.APPLICATION].policies["Admins"].CopyFrom(implicit(policies_pb2.ImplicitMetaPolicy.ANY,
                                                                              "Admins"))
    with pytest.raises(ValueError, match="it changes more than adding Org5MSP"):
        configtx.change_of(CHANNEL, channel_group, configtx.compute_update(CHANNEL, channel_group, weaker))
    two = configtx.with_org(configtx.with_org(channel_group, "Org5MSP", group), "Org4MSP", None)
    with pytest.raises(ValueError, match="it does not add or remove exactly one organisation"):
        configtx.change_of(CHANNEL, channel_group, configtx.compute_update(CHANNEL, channel_group, two))
    anchors = configtx_pb2.ConfigGroup()
    anchors.CopyFrom(channel_group)
    del anchors.groups[configtx.APPLICATION].groups["Org2MSP"].values[configtx.ANCHOR_PEERS]
    with pytest.raises(ValueError, match="it does not add or remove exactly one organisation"):
        configtx.change_of(CHANNEL, channel_group, configtx.compute_update(CHANNEL, channel_group, anchors))


def test_a_group_is_standard_only_as_its_definition_makes_it(cas):
    made = definition("Org5MSP", cas["Org5MSP"])
    group = configtx.org_group(made)
    assert configtx.definition_of("Org5MSP", group) == made and configtx.is_standard("Org5MSP", group)
    group.policies["Endorsement"].CopyFrom(group.policies["Writers"])   # its clients could endorse
    assert configtx.definition_of("Org5MSP", group) == made and not configtx.is_standard("Org5MSP", group)


def test_an_update_built_on_an_older_configuration_is_stale(channel_group):
    update = configtx.update_for(CHANNEL, channel_group, configtx.Change("remove", "Org4MSP"))
    assert configtx.stale(channel_group, update.read_set) == []
    moved = configtx_pb2.ConfigGroup()
    moved.CopyFrom(channel_group)
    moved.groups[configtx.APPLICATION].version = 1
    assert configtx.stale(moved, update.read_set) == ["/Application"]


def test_the_msp_folder_is_read_as_configtxgen_reads_it(tmp_path, cas):
    ca = cas["Org5MSP"]
    for name in ("cacerts", "tlscacerts", "admincerts"):
        (tmp_path / name).mkdir()
    (tmp_path / "cacerts" / "ca-cert.pem").write_text(ca.pem)
    (tmp_path / "cacerts" / "README").write_text("not a certificate")
    (tmp_path / "tlscacerts" / "tlsca-cert.pem").write_text(ca.pem)
    ous = "".join(f"  {k.capitalize()}OUIdentifier:\n    Certificate: cacerts/ca-cert.pem\n"
                  f"    OrganizationalUnitIdentifier: {k}\n" for k in configtx.NODE_OUS)
    (tmp_path / "config.yaml").write_text(f"NodeOUs:\n  Enable: true\n{ous}")
    read = configtx.read_msp_folder(tmp_path, "Org5MSP", [("peer0.org5", 11051)])
    assert read["root_certs"] == [ca.pem] and read["tls_root_certs"] == [ca.pem] and read["admins"] == []
    assert read["node_ous"]["admin"] == {"certificate": ca.pem, "ou": "admin"}
    assert read["anchor_peers"] == [{"host": "peer0.org5", "port": 11051}]
    assert configtx.definition_sha256(read) == hashlib.sha256(configtx.definition_bytes(read)).hexdigest()
    (tmp_path / "cacerts" / "ca-cert.pem").unlink()
    with pytest.raises(InputError, match="holds no CA certificate in cacerts/"):
        configtx.read_msp_folder(tmp_path, "Org5MSP", [])


def test_the_update_file_is_a_config_update_envelope(tmp_path, channel_group):
    update = configtx.update_for(CHANNEL, channel_group, configtx.Change("remove", "Org4MSP"))
    path = tmp_path / "remove.tx"
    path.write_bytes(configtx.unsigned_envelope(CHANNEL, configtx.update_envelope(update)).SerializeToString())
    body, read = configtx.read_update_file(path, CHANNEL)
    assert read == update and not body.signatures
    with pytest.raises(InputError, match=f"^{path}: updates channel 'nineten', not 'other'"):
        configtx.read_update_file(path, "other")
    path.write_bytes(b"\x0a\x03abc")
    with pytest.raises(InputError, match=f"^{path}: not a channel update"):
        configtx.read_update_file(path, CHANNEL)


def test_a_signature_counts_when_an_admin_of_a_member_signed_this_update(channel_group, cas):
    update = configtx.update_for(CHANNEL, channel_group, configtx.Change("remove", "Org4MSP"))
    body = configtx.update_envelope(update)
    admin1, client2 = cas["Org1MSP"].identity("Org1MSP", "admin"), cas["Org2MSP"].identity("Org2MSP", "client")
    impostor = CA("ca.org3").identity("Org3MSP", "admin")     # an admin of a CA that is not Org3MSP's
    outsider = cas["Org5MSP"].identity("Org5MSP", "admin")    # not an organisation of the channel
    for signer in (admin1, client2, impostor, outsider):
        body = channel.add_signature(body, signer)
    forged = channel.add_signature(body, cas["Org4MSP"].identity("Org4MSP", "admin"))
    forged.signatures[-1].signature = body.signatures[0].signature
    found = [(s.msp_id, s.counts, s.why_not) for s in channel.signatures(channel_group, forged)]
    assert found == [("Org1MSP", True, ""),
                     ("Org2MSP", False, "it is not an admin of Org2MSP (no OU admin)"),
                     ("Org3MSP", False, "its certificate is not issued by Org3MSP's CA"),
                     ("Org5MSP", False, "Org5MSP is not an organisation of the channel"),
                     ("Org4MSP", False, "the signature does not verify")]
    assert channel.majority(channel_group) == 3
