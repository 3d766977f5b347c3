"""The caller of a transaction, read from its X.509 certificate the way Fabric's cid library does."""

from dataclasses import dataclass
from functools import cached_property, lru_cache

from cryptography import x509

from . import canonical_json

#: Fabric CA writes enrollment attributes as JSON into this certificate extension.
ATTRIBUTE_OID = x509.ObjectIdentifier("1.2.3.4.5.6.7.8.1")
ROLE_ATTRIBUTE = "nineten.role"
ROLES = ("admin", "reviewer", "arbitrator", "auditor")


@dataclass(frozen=True)
class Caller:
    """The creator of a transaction: its MSP id and PEM certificate."""

    msp_id: str
    cert_pem: bytes

    @cached_property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)

    @cached_property
    def attributes(self) -> dict[str, str]:
        """The Fabric CA attributes of the certificate ({} when it has none)."""
        try:
            ext = self.certificate.extensions.get_extension_for_oid(ATTRIBUTE_OID)
        except x509.ExtensionNotFound:
            return {}
        return dict(canonical_json.loads(ext.value.value).get("attrs", {}))

    @property
    def role(self) -> str:
        """The ``nineten.role`` attribute, or '' when the certificate carries none."""
        return self.attributes.get(ROLE_ATTRIBUTE, "")

    @property
    def id(self) -> str:
        """Fabric's client id: ``x509::<subject>::<issuer>``."""
        cert = self.certificate
        return f"x509::{cert.subject.rfc4514_string()}::{cert.issuer.rfc4514_string()}"


def caller_from_creator(creator: dict) -> Caller:
    """Build the caller from the stub's creator (``{'mspid': ..., 'idBytes': ...}``)."""
    id_bytes = creator.get("idBytes") or b""
    if isinstance(id_bytes, str):
        id_bytes = id_bytes.encode()
    return _caller(creator.get("mspid") or "", bytes(id_bytes))


@lru_cache(maxsize=1024)
def _caller(msp_id: str, cert_pem: bytes) -> Caller:
    """One Caller per identity, so its certificate is parsed once, not in every transaction."""
    return Caller(msp_id=msp_id, cert_pem=cert_pem)
