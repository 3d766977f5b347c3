"""An organisation's Fabric CA: register identities with their ``nineten.role`` and enroll them.

Through hfc's Fabric CA client (``hfc.fabric_ca``, the only hfc module this process may load).
Enrollment uses it as is; the registrar's calls (register, read or update an identity) are signed
with the token Fabric CA 1.4 and later check, which covers the HTTP method and URI as well as the
body (hfc signs only body and certificate, which those servers refuse).
"""

import ast
import base64
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hfc.fabric_ca.caservice import CAClient, CAService
from requests.exceptions import RequestException

from chaincode.identity import ROLE_ATTRIBUTE, ROLES

from ..errors import ConfigError, InputError
from ..wallet import Identity

#: Fabric CA's error code for registering an enrollment id that exists.
ALREADY_REGISTERED = 74


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class _RegistrarClient(CAClient):
    """hfc's CA client with the registrar's token over method, URI, body and certificate."""

    def signed(self, method: str, path: str, registrar: Identity, body: dict[str, Any] | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else b""
        uri = urlsplit(self._base_url).path + path
        cert = _b64(registrar.cert_pem)
        signature = registrar.sign(f"{method}.{_b64(uri.encode())}.{_b64(data)}.{cert}".encode())
        send = {"GET": self._send_ca_get, "POST": self._send_ca_post, "PUT": self._send_ca_update}[method]
        headers = {"Authorization": f"{cert}.{_b64(signature)}", "Content-Type": "application/json"}
        answer, _ = send(path, data=data, headers=headers, verify=self._ca_certs_path)
        return answer


class FabricCA:
    """The CA of one organisation of the connection profile (its ``ca`` entry)."""

    def __init__(self, org: dict[str, Any], profile_path: Path | None = None) -> None:
        ca = org.get("ca") or {}
        registrar = ca.get("registrar") or {}
        needed = (ca.get("url"), ca.get("name"), ca.get("tls_ca_cert"),
                  registrar.get("enroll_id"), registrar.get("enroll_secret"))
        if not all(needed):
            raise ConfigError(f"the connection profile {profile_path} gives no complete ca (url, name, "
                              f"tls_ca_cert, registrar) for {org.get('msp_id')}; see network/README.md.")
        self.msp_id, self.name, self.url = str(org["msp_id"]), str(ca["name"]), str(ca["url"])
        self._registrar_login = (str(registrar["enroll_id"]), str(registrar["enroll_secret"]))
        self._service = CAService(target=self.url, ca_certs_path=str(ca["tls_ca_cert"]), ca_name=self.name)
        self._client = _RegistrarClient(self.url, str(ca["tls_ca_cert"]), ca_name=self.name)
        self._registrar: Identity | None = None

    def enroll(self, name: str, enrollment_id: str, secret: str) -> Identity:
        """A new key and certificate for ``enrollment_id``, as the wallet identity ``name``.

        The key is made here (P-256) and only its CSR is sent: hfc's own key generation predates
        the ``cryptography`` release this project uses."""
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, enrollment_id)]))
               .sign(key, hashes.SHA256()))
        try:
            enrollment = self._service.enroll(enrollment_id, secret, csr=csr)
        except RequestException as exc:
            raise self._unreachable(exc) from None
        except ValueError as exc:
            raise InputError(f"the CA {self.name} refused to enroll {enrollment_id}: {_errors(exc)}; "
                             "check the enrollment secret.") from None
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        return Identity(name, self.msp_id, enrollment.cert, pem)

    def register(self, enrollment_id: str, role: str, secret: str | None = None) -> str | None:
        """Register a client with ``nineten.role=role`` in its enrollment certificate.

        Returns its enrollment secret (``secret``, or one the CA makes up), or None when it is
        already registered with that role; registered with another role is a ConfigError.
        """
        if role not in ROLES:
            raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}.")
        request = {"id": enrollment_id, "type": "client", "affiliation": "", "max_enrollments": -1,
                   "attrs": [{"name": ROLE_ATTRIBUTE, "value": role, "ecert": True}], "caname": self.name}
        if secret:
            request["secret"] = secret
        answer = self._call("POST", "register", request)
        if answer.get("success"):
            return answer["result"]["secret"]
        if ALREADY_REGISTERED not in [e.get("code") for e in answer.get("errors") or []]:
            raise ConfigError(f"the CA {self.name} refused to register {enrollment_id}: {_errors(answer)}.")
        registered = self.role_of(enrollment_id)
        if registered != role:
            raise ConfigError(f"{enrollment_id} is already registered at the CA {self.name} with the role "
                              f"{registered or 'none'}, not {role}.")
        return None

    def role_of(self, enrollment_id: str) -> str:
        """The ``nineten.role`` a registered identity carries ('' when none)."""
        answer = self._call("GET", f"identities/{enrollment_id}?ca={self.name}")
        if not answer.get("success"):
            raise ConfigError(f"the CA {self.name} cannot show {enrollment_id}: {_errors(answer)}.")
        attrs = answer["result"].get("attrs") or []
        return next((a["value"] for a in attrs if a.get("name") == ROLE_ATTRIBUTE), "")

    def issue(self, name: str, role: str) -> Identity:
        """Register ``name`` with ``role`` if new, else give it a fresh secret; then enroll it."""
        secret = secrets.token_hex(16)
        if self.register(name, role, secret) is None:
            answer = self._call("PUT", f"identities/{name}", {"secret": secret, "caname": self.name})
            if not answer.get("success"):
                raise ConfigError(f"the CA {self.name} cannot renew the secret of {name}: {_errors(answer)}.")
        return self.enroll(name, name, secret)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict:
        if self._registrar is None:
            try:
                self._registrar = self.enroll("registrar", *self._registrar_login)
            except InputError as exc:
                raise ConfigError(f"the registrar of the connection profile cannot log in: {exc}") from None
        try:
            return self._client.signed(method, path, self._registrar, body)
        except RequestException as exc:
            raise self._unreachable(exc) from None

    def _unreachable(self, exc: Exception) -> ConfigError:
        return ConfigError(f"the CA {self.name} of {self.msp_id} at {self.url} is unreachable "
                           f"({type(exc).__name__}); is the network up (network/network.sh status)?")


def _errors(answer: Any) -> str:
    """Fabric CA's error messages in an answer (or in hfc's ValueError about one)."""
    if not isinstance(answer, dict):  # hfc: "... failed with errors [{'code': .., 'message': ..}]"
        try:
            answer = {"errors": ast.literal_eval(str(answer).split("errors ", 1)[-1])}
        except (ValueError, SyntaxError):
            return str(answer)
    return "; ".join(str(e.get("message")) for e in answer.get("errors") or []) or "no reason given"
