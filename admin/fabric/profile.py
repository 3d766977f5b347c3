"""The connection profile ``network/network.sh up`` writes (schema in network/README.md)."""

from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError


def load_profile(path: Path) -> dict[str, Any]:
    """The profile at ``path`` as a mapping; ConfigError when it is missing or not YAML."""
    path = Path(path)
    try:
        profile = yaml.safe_load(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read the connection profile {path}: {exc.strerror}.") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"the connection profile {path} is not valid YAML: {exc}.") from None
    if not isinstance(profile, dict):
        raise ConfigError(f"the connection profile {path} is not a YAML mapping.")
    return profile


def organisations(profile: dict[str, Any], path: Path | None) -> dict[str, dict[str, Any]]:
    """The profile's organisations by MSP id."""
    try:
        return {str(org["msp_id"]): org for org in profile["organizations"].values()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"the connection profile {path} lacks {exc}; "
                          "see network/README.md for its fields.") from None


def organisation_of(orgs: dict[str, dict[str, Any]], node_id: str, msp_id: str, path: Path | None) -> dict[str, Any]:
    """The organisation of the network that node ``node_id`` (of ``msp_id``) runs as."""
    if msp_id not in orgs:
        known = ", ".join(sorted(orgs)) or "none"
        raise ConfigError(f"node {node_id}'s organisation {msp_id} is not in the connection profile {path} "
                          f"(it has: {known}); set the node's msp_id in consortium.yaml to one of them.")
    return orgs[msp_id]
