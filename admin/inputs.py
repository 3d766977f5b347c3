"""Reading the consortium and subscription files users write, with errors naming file, line and field."""

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chaincode import money, validate
from chaincode.errors import InvalidArgument

from .errors import InputError
from .pseudonym import check_listener

SUBSCRIPTION_COLUMNS = ["month", "node_id", "listener_id", "payment_ref", "amount"]
#: libyaml's safe loader when PyYAML was built with it (some ten times faster), else PyYAML's own.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(path: Path) -> tuple[Any, yaml.Node | None]:
    """The data of a YAML file and its node tree (for line numbers), from one parse."""
    try:
        loader = _LOADER(path.read_text())
        try:
            tree = loader.get_single_node()
            return (None if tree is None else loader.construct_document(tree)), tree
        finally:
            loader.dispose()
    except FileNotFoundError:
        raise InputError("file not found", str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", str(path),
                         mark.line + 1 if mark else None) from None


def _line(tree: yaml.Node | None, path: tuple) -> int | None:
    """The 1-based line of the YAML node at ``path`` (keys and list indices), or its nearest parent."""
    node, line = tree, tree.start_mark.line + 1 if tree else None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


@dataclass(frozen=True)
class Consortium:
    """A parsed consortium.yaml: the Registry:Bootstrap document and the node → MSP mapping."""

    document: dict[str, Any]

    @property
    def nodes(self) -> list[dict[str, Any]]:
        return self.document["nodes"]

    @property
    def policy(self) -> dict[str, Any]:
        return self.document["policy"]


def _field(data: Any, tree: yaml.Node | None, file: str, path: tuple, check) -> Any:
    value = data
    for step in path:
        value = value.get(step) if isinstance(value, dict) else (
            value[step] if isinstance(value, list) and isinstance(step, int) and step < len(value) else None)
    name = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
    try:
        if value is None:
            raise InvalidArgument("is missing.")
        return check(value)
    except (InvalidArgument, ValueError, TypeError) as exc:
        raise InputError(str(exc), file, _line(tree, path), name) from None


def _amount(value: Any) -> int:
    return money.parse_amount(str(value))


def read_consortium(path: Path, effective_from: str) -> Consortium:
    """Parse consortium.yaml into the Bootstrap document; the policy is effective from ``effective_from``.

    Nodes without ``msp_id`` get ``Org<i>MSP`` by position (the network's organisations).
    """
    path = Path(path)
    data, tree = _compose(path)
    file = str(path)
    if not isinstance(data, dict):
        raise InputError("must be a mapping with policy, clusters, nodes and artists", file, 1)
    get = lambda p, check: _field(data, tree, file, p, check)  # noqa: E731
    policy = {
        "effective_from": effective_from,
        "price_micro": get(("policy", "price"), _amount),
        "node_share_micro": get(("policy", "node_share"), _amount),
        "top_n": get(("policy", "top_n"), lambda v: validate.count("top_n", v, 1)),
        "min_seconds": get(("policy", "min_seconds"), lambda v: validate.count("min_seconds", v)),
        "currency": get(("policy", "currency"), lambda v: validate.ident("currency", v)),
    }
    if "anomalies" in data.get("policy", {}):
        policy["anomalies"] = data["policy"]["anomalies"]
    clusters = [{"id": get(("clusters", i, "id"), lambda v: validate.ident("id", v))}
                for i in range(len(data.get("clusters") or []))]
    known = {c["id"] for c in clusters}
    nodes = []
    for i, raw in enumerate(data.get("nodes") or []):
        cluster = get(("nodes", i, "cluster"), lambda v: validate.ident("cluster", v))
        if cluster not in known:
            raise InputError(f"cluster {cluster!r} is not among the clusters", file,
                             _line(tree, ("nodes", i, "cluster")), f"nodes[{i}].cluster")
        nodes.append({"id": get(("nodes", i, "id"), lambda v: validate.ident("id", v)), "cluster": cluster,
                      "wallet": get(("nodes", i, "wallet"), lambda v: validate.ident("wallet", v)),
                      "msp_id": str(raw.get("msp_id") or f"Org{i + 1}MSP")})
    artists = []
    for i, raw in enumerate(data.get("artists") or []):
        artist = {"id": get(("artists", i, "id"), lambda v: validate.ident("id", str(v))),
                  "name": get(("artists", i, "name"), str),
                  "wallet": get(("artists", i, "wallet"), lambda v: validate.ident("wallet", v))}
        if raw.get("isni"):
            artist["isni"] = get(("artists", i, "isni"), lambda v: validate.isni(str(v)))
        artists.append(artist)
    if not nodes:
        raise InputError("no nodes are listed", file, _line(tree, ("nodes",)), "nodes")
    for what, values in (("nodes", [n["id"] for n in nodes]), ("artists", [a["id"] for a in artists])):
        dup = _first_repeated(values)
        if dup is not None:
            idx = len(values) - 1 - values[::-1].index(dup)
            raise InputError(f"id {dup!r} appears twice", file, _line(tree, (what, idx, "id")), f"{what}[{idx}].id")
    return Consortium({"artists": artists, "clusters": clusters, "nodes": nodes, "policy": policy})


def _first_repeated(values: list[str]) -> str | None:
    """The first value that appeared before in ``values``, or None."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


@dataclass(frozen=True)
class Subscription:
    month: str
    node: str
    listener_id: str
    payment_ref: str
    amount_micro: int
    line: int


def read_subscriptions(path: Path, nodes: set[str]) -> list[Subscription]:
    """Every row of subscriptions.csv, validated; the first bad row raises InputError."""
    path, file = Path(path), str(path)
    if not path.exists():
        raise InputError("file not found", file)
    rows: list[Subscription] = []
    refs: dict[str, int] = {}
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != SUBSCRIPTION_COLUMNS:
            raise InputError(f"header must be {','.join(SUBSCRIPTION_COLUMNS)}, got "
                             f"{','.join(reader.fieldnames or [])}", file, 1)
        for line, row in enumerate(reader, start=2):
            def check(field: str, fn):
                try:
                    return fn(row[field] if row[field] is not None else "")
                except (InvalidArgument, ValueError) as exc:
                    raise InputError(str(exc).rstrip("."), file, line, field) from None
            sub = Subscription(
                month=check("month", validate.month), node=check("node_id", lambda v: validate.ident("node_id", v)),
                listener_id=check("listener_id", check_listener),
                payment_ref=check("payment_ref", lambda v: validate.ident("payment_ref", v)),
                amount_micro=check("amount", money.parse_amount), line=line)
            if sub.node not in nodes:
                raise InputError(f"node {sub.node!r} is not in the consortium", file, line, "node_id")
            if sub.payment_ref in refs:
                raise InputError(f"payment reference {sub.payment_ref!r} was already used on line "
                                 f"{refs[sub.payment_ref]}", file, line, "payment_ref")
            refs[sub.payment_ref] = line
            rows.append(sub)
    return rows
