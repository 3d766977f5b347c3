"""Reading the consortium and subscription files users write, with errors naming file, line and field."""

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml

from chaincode import artist_ids, money, rules, validate
from chaincode.errors import InvalidArgument

from .errors import InputError
from .pseudonym import check_listener

SUBSCRIPTION_COLUMNS = ["month", "node_id", "listener_id", "payment_ref", "amount"]
#: libyaml's safe loader when PyYAML was built with it (some ten times faster), else PyYAML's own.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(path: Path) -> tuple[Any, yaml.Node | None]:
    """The data of a YAML file and its node tree (for line numbers), from one parse; a key repeated
    in one mapping is refused with its line (YAML loaders would silently keep the last value)."""
    try:
        loader = _LOADER(path.read_bytes().decode("utf-8-sig"))
        try:
            tree = loader.get_single_node()
            _refuse_repeated_keys(tree, str(path))
            return (None if tree is None else loader.construct_document(tree)), tree
        finally:
            loader.dispose()
    except FileNotFoundError:
        raise InputError("file not found", str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start + 1})", str(path)) from None
    except RecursionError:
        raise InputError("not valid YAML: nested too deeply", str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", str(path),
                         mark.line + 1 if mark else None) from None


def _refuse_repeated_keys(tree: yaml.Node | None, file: str) -> None:
    """InputError at the second occurrence of a key within one mapping of ``tree``."""
    pending, seen = [tree], set()
    while pending:
        node = pending.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            lines: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in lines:
                        raise InputError(f"key {key.value!r} appears twice in one mapping (first on line "
                                         f"{lines[key.value]})", file, key.start_mark.line + 1)
                    lines[key.value] = key.start_mark.line + 1
                pending += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            pending += node.value


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
    """A parsed consortium.yaml: the Registry:Bootstrap document and the node → MSP mapping, and
    the further policy versions of ``policies:`` (on-chain policies, oldest first)."""

    document: dict[str, Any]
    policies: tuple[dict[str, Any], ...] = ()

    @property
    def nodes(self) -> list[dict[str, Any]]:
        return self.document["nodes"]

    @property
    def policy(self) -> dict[str, Any]:
        return self.document["policy"]


def _at(data: Any, path: tuple) -> Any:
    """The value at ``path`` (keys and list indices) in parsed YAML, or None."""
    value = data
    for step in path:
        value = value.get(step) if isinstance(value, dict) else (
            value[step] if isinstance(value, list) and isinstance(step, int) and step < len(value) else None)
    return value


def _field(data: Any, tree: yaml.Node | None, file: str, path: tuple, check) -> Any:
    value = _at(data, path)
    name = _name(path)
    try:
        if value is None:
            raise InvalidArgument("is missing.")
        return check(value)
    except (InvalidArgument, ValueError, TypeError) as exc:
        raise InputError(str(exc), file, _line(tree, path), name) from None


def _amount(value: Any) -> int:
    return money.parse_amount(str(value))


#: A policy's fields in consortium.yaml: (name, on-chain name, check); amounts are decimal strings.
POLICY_FIELDS = (("price", "price_micro", lambda v: _amount(v)),
                 ("node_share", "node_share_micro", lambda v: _amount(v)),
                 ("top_n", "top_n", lambda v: validate.count("top_n", v, 1)),
                 ("min_seconds", "min_seconds", lambda v: validate.count("min_seconds", v)),
                 ("currency", "currency", lambda v: validate.ident("currency", v)))
#: The optional ``payouts`` settings (:data:`chaincode.rules.PAYOUT_DEFAULTS`) in consortium.yaml.
PAYOUT_FIELDS = (("min_payout", "min_payout_micro", lambda v: _amount(v)),
                 ("unclaimed_months", "unclaimed_months", lambda v: validate.count("unclaimed_months", v, 1)),
                 ("unallocated_to", "unallocated_to", lambda v: validate.choice("unallocated_to", v, rules.DESTINATIONS)),
                 ("unclaimed_to", "unclaimed_to", lambda v: validate.choice("unclaimed_to", v, rules.DESTINATIONS)),
                 ("consortium_wallet", "consortium_wallet", lambda v: validate.ident("consortium_wallet", v)))


def _policy(data: Any, tree: yaml.Node | None, file: str, path: tuple, effective_from: str,
            base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The on-chain policy of the mapping at ``path``; with ``base`` (the version before), a field
    left out keeps its value there."""
    node = _at(data, path)
    if not isinstance(node, dict):
        raise InputError("must be a mapping of policy fields", file, _line(tree, path), _name(path))
    policy = {"effective_from": effective_from}
    for name, chain_name, check in POLICY_FIELDS:
        if base is not None and name not in node:
            policy[chain_name] = base[chain_name]
        else:
            policy[chain_name] = _field(data, tree, file, (*path, name), check)
    payouts = dict(base.get("payouts", {})) if base else {}
    for name, chain_name, check in PAYOUT_FIELDS:
        if name in node:
            payouts[chain_name] = _field(data, tree, file, (*path, name), check)
    if payouts:
        policy["payouts"] = payouts
    for name, check in (("anomalies", None), ("played_time", rules.played_time),
                        ("day_format", lambda v: validate.choice("day_format", v, rules.DAY_FORMATS))):
        if name in node:
            policy[name] = node[name] if check is None else _field(data, tree, file, (*path, name), check)
        elif base is not None and name in base:
            policy[name] = base[name]
    try:
        rules.Policy.parse(policy)
    except InvalidArgument as exc:
        raise InputError(str(exc).rstrip("."), file, _line(tree, path), _name(path)) from None
    return policy


def _name(path: tuple) -> str:
    return ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")


def _further_policies(data: dict[str, Any], tree: yaml.Node | None, file: str,
                      first: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The ``policies:`` list: each version effective from its ``effective_from``, after the one before."""
    raw = data.get("policies") or []
    if not isinstance(raw, list):
        raise InputError("must be a list of policy versions", file, _line(tree, ("policies",)), "policies")
    found, before = [], first
    for i in range(len(raw)):
        month = _field(data, tree, file, ("policies", i, "effective_from"), lambda v: validate.month(str(v)))
        if month <= before["effective_from"]:
            raise InputError(f"{month} is not after {before['effective_from']}, the version before", file,
                             _line(tree, ("policies", i, "effective_from")), f"policies[{i}].effective_from")
        before = _policy(data, tree, file, ("policies", i), month, before)
        found.append(before)
    return tuple(found)


def read_consortium(path: Path, effective_from: str) -> Consortium:
    """Parse consortium.yaml into the Bootstrap document; the policy is effective from
    ``effective_from``, each of ``policies:`` from its own ``effective_from``.

    Nodes without ``msp_id`` get ``Org<i>MSP`` by position (the network's organisations).
    """
    path = Path(path)
    data, tree = _compose(path)
    file = str(path)
    if not isinstance(data, dict):
        raise InputError("must be a mapping with policy, clusters, nodes and artists", file, 1)
    for name, kind, what in (("policy", dict, "a mapping"), ("clusters", list, "a list"), ("nodes", list, "a list"),
                             ("artists", list, "a list")):
        if data.get(name) is not None and not isinstance(data[name], kind):
            raise InputError(f"is not {what}", file, _line(tree, (name,)), name)
    get = lambda p, check: _field(data, tree, file, p, check)  # noqa: E731
    policy = _policy(data, tree, file, ("policy",), effective_from)
    clusters = [{"id": get(("clusters", i, "id"), lambda v: validate.ident("id", v))}
                for i in range(len(data.get("clusters") or []))]
    known = {c["id"] for c in clusters}
    nodes = []
    for i, raw in enumerate(data.get("nodes") or []):
        cluster = get(("nodes", i, "cluster"), lambda v: validate.ident("cluster", v))
        if cluster not in known:
            raise InputError(f"cluster {cluster!r} is not among the clusters", file,
                             _line(tree, ("nodes", i, "cluster")), f"nodes[{i}].cluster")
        msp_id = (get(("nodes", i, "msp_id"), lambda v: validate.ident("msp_id", v))
                  if raw.get("msp_id") is not None else f"Org{i + 1}MSP")
        nodes.append({"id": get(("nodes", i, "id"), lambda v: validate.ident("id", v)), "cluster": cluster,
                      "wallet": get(("nodes", i, "wallet"), lambda v: validate.ident("wallet", v)),
                      "msp_id": msp_id})
    artists = []
    for i, raw in enumerate(data.get("artists") or []):
        artist = {"id": get(("artists", i, "id"), lambda v: validate.ident("id", str(v))),
                  "name": get(("artists", i, "name"), str),
                  "wallet": get(("artists", i, "wallet"), lambda v: validate.ident("wallet", v))}
        if raw.get("isni"):
            artist["isni"] = get(("artists", i, "isni"), lambda v: validate.isni(str(v)))
        if raw.get("mbids"):
            artist["mbids"] = get(("artists", i, "mbids"), lambda v: artist_ids.mbids(v, artist["id"]))
        if raw.get("aliases"):
            artist["aliases"] = get(("artists", i, "aliases"),
                                    lambda v: artist_ids.aliases(v, artist["id"], artist["name"]))
        artists.append(artist)
    if not nodes:
        raise InputError("no nodes are listed", file, _line(tree, ("nodes",)), "nodes")
    for what, name, values in (("clusters", "id", [c["id"] for c in clusters]),
                               ("nodes", "id", [n["id"] for n in nodes]),
                               ("nodes", "msp_id", [n["msp_id"] for n in nodes]),
                               ("artists", "id", [a["id"] for a in artists])):
        dup = _first_repeated(values)
        if dup is not None:
            idx = len(values) - 1 - values[::-1].index(dup)
            raise InputError(f"{name} {dup!r} appears twice", file, _line(tree, (what, idx, name)),
                             f"{what}[{idx}].{name}")
    return Consortium({"artists": artists, "clusters": clusters, "nodes": nodes, "policy": policy},
                      _further_policies(data, tree, file, policy))


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
    """Every row of subscriptions.csv (UTF-8, a byte-order mark allowed), validated; the first bad
    row raises InputError naming its line and field. A payment reference used twice, or a listener
    twice for one month at one node, is refused at its second line."""
    path, file = Path(path), str(path)
    rows: list[Subscription] = []
    refs: dict[str, int] = {}
    listeners: dict[tuple[str, str, str], int] = {}
    for line, cells in csv_records(path, SUBSCRIPTION_COLUMNS):
        row = dict(zip(SUBSCRIPTION_COLUMNS, cells))

        def check(field: str, fn):
            try:
                return fn(row[field])
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
        listener = (sub.month, sub.node, sub.listener_id)
        if listener in listeners:
            raise InputError(f"listener {sub.listener_id!r} already has a {sub.month} subscription at node "
                             f"{sub.node} on line {listeners[listener]}", file, line, "listener_id")
        refs[sub.payment_ref] = listeners[listener] = line
        rows.append(sub)
    return rows


def csv_records(path: Path, columns: list[str]) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of every non-blank record of a UTF-8 CSV file (a byte-order mark
    allowed) whose header is ``columns``; InputError naming the line of a wrong header, a record of
    the wrong width, bytes that are not UTF-8 or CSV that does not parse."""
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start + 1})", file, data[:exc.start].count(b"\n") + 1) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    start, header = 1, None
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(f"not valid CSV: {exc}", file, reader.line_num) from None
        if cells and header is None:
            header = cells
            if header != columns:
                raise InputError(f"header must be {','.join(columns)}, got {','.join(header)!r}", file, start)
        elif cells:
            if len(cells) != len(columns):
                raise InputError(f"has {len(cells)} fields, expected {len(columns)}", file, start)
            yield start, cells
        start = reader.line_num + 1
    if header is None:
        raise InputError(f"header must be {','.join(columns)}, got ''", file, 1)
