"""Certificate authorities of the embedded ledger's organisations, issuing Fabric-CA-style certificates."""

import datetime as dt
import json
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chaincode.identity import ATTRIBUTE_OID, ROLE_ATTRIBUTE

from ..wallet import Identity

_TEN_YEARS = dt.timedelta(days=3650)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(common_name: str, msp_id: str, unit: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, msp_id)]
    if unit:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


class OrgCA:
    """One organisation's CA: a self-signed P-256 certificate and key kept in ``folder``."""

    def __init__(self, folder: Path, msp_id: str) -> None:
        self.folder, self.msp_id = Path(folder), msp_id
        self.cert_path, self.key_path = self.folder / "ca.pem", self.folder / "ca.key"

    def create(self) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = _name(f"ca.{self.msp_id}", self.msp_id)
        now = dt.datetime.now(dt.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + _TEN_YEARS)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.key_path.write_bytes(_pem_key(key))
        self.key_path.chmod(0o600)

    def issue(self, name: str, role: str, not_before: dt.datetime | None = None,
              not_after: dt.datetime | None = None) -> Identity:
        """A client identity whose certificate carries ``nineten.role`` as Fabric CA would, valid
        from ``not_before`` (five minutes ago) to ``not_after`` (ten years on)."""
        ca_cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        ca_key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        key = ec.generate_private_key(ec.SECP256R1())
        attrs = {"attrs": {"hf.Affiliation": "", "hf.EnrollmentID": name, "hf.Type": "client",
                           ROLE_ATTRIBUTE: role}}
        now = dt.datetime.now(dt.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(_name(name, self.msp_id, "client"))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(not_before or now - dt.timedelta(minutes=5))
                .not_valid_after(not_after or now + _TEN_YEARS)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.UnrecognizedExtension(
                    ATTRIBUTE_OID, json.dumps(attrs, sort_keys=True).encode()), critical=False)
                .sign(ca_key, hashes.SHA256()))
        return Identity(name, self.msp_id, cert.public_bytes(serialization.Encoding.PEM), _pem_key(key))
