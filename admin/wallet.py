"""Identities: a wallet folder of X.509 identities (Fabric's wallet file format) and signing."""

import json
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from chaincode.identity import Caller

from .errors import ConfigError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}")
# Order of the P-256 curve: Fabric accepts only low-S ECDSA signatures.
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def identity_name(node_id: str, role: str) -> str:
    """The wallet name of a node's identity for ``role``: ``<node>.<role>`` (on either backend)."""
    return f"{node_id}.{role}"


@dataclass(frozen=True)
class Identity:
    """A named identity: MSP id, PEM certificate and PEM private key."""

    name: str
    msp_id: str
    cert_pem: bytes
    key_pem: bytes

    @property
    def caller(self) -> Caller:
        return Caller(self.msp_id, self.cert_pem)

    def sign(self, data: bytes) -> bytes:
        """A DER ECDSA-SHA256 signature of ``data`` with S normalised low, as Fabric wants."""
        key = serialization.load_pem_private_key(self.key_pem, password=None)
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return encode_dss_signature(r, min(s, _P256_ORDER - s))


class Wallet:
    """A folder of ``<name>.id`` files, each Fabric's JSON wallet format for X.509 identities."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, name: str) -> Path:
        """The file of identity ``name`` (letters, digits and . _ : @ -, so always inside the wallet)."""
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ConfigError(f"{name!r} is not an identity name such as n1.admin "
                              f"(letters, digits, . _ : @ -).")
        return self.folder / f"{name}.id"

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.id"))

    def put(self, identity: Identity) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        body = {"credentials": {"certificate": identity.cert_pem.decode(),
                                "privateKey": identity.key_pem.decode()},
                "mspId": identity.msp_id, "type": "X.509", "version": 1}
        path = self.path(identity.name)
        path.write_text(json.dumps(body, indent=2) + "\n")
        path.chmod(0o600)

    def get(self, name: str) -> Identity:
        """The identity ``name``; ConfigError when it is missing or its file is not a valid identity."""
        path = self.path(name)
        if not path.exists():
            known = ", ".join(self.names()) or "none"
            raise ConfigError(f"identity {name!r} is not in the wallet {self.folder} (it has: {known}).")
        try:
            body = json.loads(path.read_bytes())
            creds = body["credentials"]
            identity = Identity(name, body["mspId"], creds["certificate"].encode(), creds["privateKey"].encode())
            if not isinstance(identity.msp_id, str):
                raise TypeError("mspId is not text")
            key = serialization.load_pem_private_key(identity.key_pem, password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey) or \
                    key.public_key() != x509.load_pem_x509_certificate(identity.cert_pem).public_key():
                raise ValueError("the private key is not the EC key of the certificate")
        except (ValueError, TypeError, KeyError, AttributeError, UnicodeError, UnsupportedAlgorithm,
                x509.InvalidVersion) as exc:
            raise ConfigError(f"the wallet file {path} is not an X.509 identity in Fabric's wallet format "
                              f"({type(exc).__name__}: {exc}).") from None
        return identity
