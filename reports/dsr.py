"""A settled month as a sales-report flat file in the style of DDEX DSR: DSR-like, not a licensed
DDEX profile (the exact DDEX profiles need a licence), read from the chain alone.

Tab-separated UTF-8 lines, each starting with its record type:

- ``HEAD``: profile, sender, month, currency, policy version, the settlement's block;
- ``SY01`` per node: paid subscriptions, income, node share, credited to artists, unallocated,
  held, unclaimed (the month's figures);
- ``RU01`` per payee of the month's payouts: line number, payee type (artist, split, node,
  consortium), artist id, name and ISNI (artists), payee wallet, basis points (splits),
  listeners and earnings (artists), amount instructed, owed by node, status;
- ``FOOT``: the control totals: SY01 lines, RU01 lines, the sum of SY01 income, of RU01 amounts
  instructed, of RU01 earnings.

Amounts are decimal strings with six decimals. A cell never holds a tab or a line break (they
become spaces), nor starts like a formula.
"""

from admin.output import csv_cell
from chaincode import records
from chaincode.contracts.registry import Registry
from chaincode.contracts.settlement import Settlement
from chaincode.money import format_micro, parse_amount

from .chain import ChainReader

PROFILE = "9TEN-DSR-LIKE/1.0 (DSR-like layout, not a DDEX profile)"
HEAD = ["HEAD", "profile", "sender", "month", "currency", "policy", "block"]
SY01 = ["SY01", "node", "subscriptions", "income", "node_share", "artists", "unallocated", "held", "unclaimed"]
RU01 = ["RU01", "line", "payee_type", "artist_id", "artist_name", "isni", "payee", "bp", "listeners", "earned",
        "instructed", "owed_by", "status"]
FOOT = ["FOOT", "sy01_lines", "ru01_lines", "income", "instructed", "earned"]


def _owed(by_node: dict[str, int]) -> str:
    return "|".join(f"{node}:{format_micro(amount)}" for node, amount in sorted(by_node.items()))


def lines(reader: ChainReader, month: str) -> list[list[str]]:
    """Every line of the month's file as its cells (the record type first)."""
    settlement = reader.query(Settlement.GetSettlement, month)
    policy = reader.query(Registry.GetPolicy, month)
    artists = {a["id"]: a for a in reader.query(Registry.ListArtists)}
    block = reader.source(records.SETTLEMENT, month)["block"]
    found = [["HEAD", PROFILE, "9ten", month, policy["currency"], policy["effective_from"], str(block)]]
    for node, t in sorted(settlement["nodes"].items()):
        found.append(["SY01", node, str(t["paid_subscriptions"]), *(format_micro(t[name]) for name in (
            "income_micro", "node_share_micro", "artists_micro", "unallocated_micro", "held_micro", "unclaimed_micro"))])
    payees = []
    for payout in reader.query(Settlement.ListPayouts, month):
        if payout["kind"] == "release" or (payout["kind"] == "artist" and not payout["amount_micro"]
                                           and not payout["account"]["earned"]):
            continue
        artist = artists.get(payout["payee"], {}) if payout["kind"] == "artist" else {}
        identity = [payout["payee"], artist.get("name", ""), artist.get("isni", "")] if payout["kind"] == "artist" \
            else ["", "", ""]
        earned = sum(payout["account"].get("earned", {}).values())
        listeners = str(sum(payout["listeners"].values())) if payout["kind"] == "artist" else ""
        if payout["splits"]:
            payees.append(["artist", *identity, payout["wallet"], "", listeners, format_micro(earned),
                           format_micro(0), "", f"split {payout['status']}"])
            payees += [["split", *identity, part["payee"], str(part["bp"]), "", format_micro(0),
                        format_micro(part["amount_micro"]), _owed(part["by_node"]), payout["status"]]
                       for part in payout["splits"]]
        else:
            payees.append([payout["kind"], *identity, payout["wallet"], "", listeners,
                           format_micro(earned), format_micro(payout["amount_micro"]), _owed(payout["by_node"]),
                           payout["status"]])
    found += [["RU01", str(number), *cells] for number, cells in enumerate(payees, 1)]
    sy01 = [line for line in found if line[0] == "SY01"]
    ru01 = [line for line in found if line[0] == "RU01"]
    found.append(["FOOT", str(len(sy01)), str(len(ru01)), format_micro(sum(parse_amount(line[3]) for line in sy01)),
                  format_micro(sum(parse_amount(line[10]) for line in ru01)), format_micro(sum(parse_amount(line[9]) for line in ru01))])
    return found


def render(rows: list[list[str]]) -> bytes:
    """The file's bytes: tab-separated, one line per record, tabs and line breaks in cells made
    spaces, and no cell a spreadsheet would read as a formula (:func:`admin.output.csv_cell`)."""
    clean = str.maketrans({"\t": " ", "\n": " ", "\r": " "})
    return "".join("\t".join(csv_cell(cell.translate(clean)) for cell in row) + "\n" for row in rows).encode()
