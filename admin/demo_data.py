"""A realistic demo month, generated reproducibly from a seed, in the simulate scenario format.

Four nodes in two clusters, about 2,000 listeners and 200 artists, a month of daily play files,
and planted anomalies: an account farm on n2, a looping listener and an over-24-hour listener
on n1, an artist heard by a single listener on n3, an unregistered artist, and five subscribers of n3 who play nothing.
"""

import csv
import calendar
import random
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

NODES = [("n1", "north"), ("n2", "north"), ("n3", "south"), ("n4", "south")]
SILENT = range(10, 15)  # n3's subscribers who play nothing: their artist share is unallocated
PLAY_COLUMNS = ["played_at", "listener_id", "artist_id", "track_id", "seconds"]


@dataclass(frozen=True)
class DemoShape:
    month: str = "2026-10"
    listeners: int = 2000
    artists: int = 200
    plays_per_listener_day: int = 4
    farm_accounts: int = 25
    seed: int = 9


def write_demo(folder: Path, shape: DemoShape = DemoShape()) -> Path:
    """Write consortium.yaml, subscriptions.csv and plays/<node>/<day>.csv under ``folder``."""
    rng = random.Random(shape.seed)
    folder.mkdir(parents=True, exist_ok=True)
    artists = [f"ar{i:03d}" for i in range(1, shape.artists + 1)]
    _write_consortium(folder / "consortium.yaml", artists)
    listeners = _write_subscriptions(folder / "subscriptions.csv", shape, rng)
    _write_plays(folder / "plays", shape, listeners, artists, rng)
    return folder


def _write_consortium(path: Path, artists: list[str]) -> None:
    doc = {
        "policy": {"price": "10.00", "node_share": "1.00", "top_n": 9, "min_seconds": 30, "currency": "USDP"},
        "clusters": [{"id": "north"}, {"id": "south"}],
        "nodes": [{"id": n, "cluster": c, "wallet": f"usdp:{n}-operator"} for n, c in NODES],
        # ar200 is left out on purpose: its money is held until it registers.
        "artists": [{"id": a, "name": f"Artist {a[2:]}", "wallet": f"usdp:{a}"} for a in artists[:-1]],
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _write_subscriptions(path: Path, shape: DemoShape, rng: random.Random) -> dict[str, list[str]]:
    """Subscribe ~92% of each node's listeners; returns node → all its listener ids."""
    per_node = {node: [f"{node}-user{i:04d}" for i in range(shape.listeners // len(NODES))] for node, _ in NODES}
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["month", "node_id", "listener_id", "payment_ref", "amount"])
        for node, listeners in per_node.items():
            for i, listener in enumerate(listeners):
                planted = i < 20 or (node == "n2" and i < shape.farm_accounts)
                if planted or rng.random() < 0.92:
                    writer.writerow([shape.month, node, listener, f"pay-{shape.month}-{node}-{i:04d}", "10.00"])
    return per_node


def _write_plays(folder: Path, shape: DemoShape, listeners: dict[str, list[str]], artists: list[str],
                 rng: random.Random) -> None:
    year, month = (int(p) for p in shape.month.split("-"))
    days = calendar.monthrange(year, month)[1]
    # Popularity follows a long tail: a few artists get most plays.
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(artists) - 1)]
    taste = {user: rng.choices(artists[:-2], weights=weights[:-1], k=12)
             for users in listeners.values() for user in users}
    taste["n4-user0007"] = [artists[-1]] * 6 + taste["n4-user0007"]  # a fan of the unregistered artist
    for node, users in listeners.items():
        (folder / node).mkdir(parents=True, exist_ok=True)
        for day in range(1, days + 1):
            rows = []
            for i, user in enumerate(users):
                if node == "n2" and i < shape.farm_accounts:
                    rows += _farm_plays(year, month, day, user, rng)
                    continue
                if node == "n3" and i in SILENT:
                    continue
                moment = rng.randrange(60_000)
                for _ in range(rng.randint(0, 2 * shape.plays_per_listener_day)):
                    artist = rng.choice(taste[user])
                    seconds = rng.choice([12, 95, 180, 214, 260, 301])
                    rows.append([_at(year, month, day, moment), user, artist, f"{artist}-t{rng.randint(1, 8)}", seconds])
                    moment += seconds + rng.randrange(5, 900)  # one listener plays one track at a time
            rows += _planted(node, year, month, day, artists)
            rows.sort()
            with (folder / node / f"{shape.month}-{day:02d}.csv").open("w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(PLAY_COLUMNS)
                writer.writerows(rows)


def _farm_plays(year: int, month: int, day: int, user: str, rng: random.Random,
                pair: tuple[str, str] = ("ar198", "ar199")) -> list[list]:
    """An account farm: every account streams the same two artists for hours."""
    start = rng.randrange(3_600)
    return [[_at(year, month, day, start + k * 200), user, pair[k % 2], f"{pair[k % 2]}-t1", 200] for k in range(40)]


def _planted(node: str, year: int, month: int, day: int, artists: list[str]) -> list[list]:
    rows: list[list] = []
    if node == "n1" and day == 3:  # a loop: one track 80 times
        rows += [[_at(year, month, day, 40_000 + k * 61), "n1-user0001", "ar010", "ar010-t1", 60]
                 for k in range(80)]
    if node == "n1" and day == 5:  # more than 24 hours of counted play in a day
        rows += [[_at(year, month, day, k * 3_000), "n1-user0002", "ar011", f"ar011-t{k % 5}", 3_590]
                 for k in range(28)]
    if node == "n3" and day == 7:  # an artist heard by one listener only
        rows.append([_at(year, month, day, 50_000), "n3-user0003", "ar197", "ar197-t1", 240])
    return rows


def _at(year: int, month: int, day: int, second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(calendar.timegm((year, month, day, 0, 0, 0)) + second))


# -- a year ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class YearShape:
    """A year of the consortium: ``months`` months from ``first``, ``listeners`` per node."""

    first: str = "2026-10"
    months: int = 12
    listeners: int = 300
    artists: int = 150
    plays_per_listener_day: int = 2
    seed: int = 11


#: Each node, its cluster and the months (indices) it takes part in: n4 is admitted for the third
#: month, n3 revoked before the ninth.
YEAR_NODES = [("n1", "north", range(0, 12)), ("n2", "north", range(0, 12)), ("n3", "south", range(0, 8)),
              ("n4", "south", range(2, 12))]
#: Account farms by month index: (node, accounts, the two artists they stream).
YEAR_FARMS = {0: ("n2", 25, ("ar148", "ar149")), 5: ("n4", 20, ("ar146", "ar147"))}
#: Listeners always subscribed (the first of each node), and the fan of the unregistered artist.
CORE, FAN = 40, ("n2", 7)


def _after(month: str, count: int) -> str:
    """The month ``count`` months after ``month``."""
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def year_months(shape: YearShape) -> list[str]:
    """The months of the year, from its first."""
    return [_after(shape.first, i) for i in range(shape.months)]


def write_year(folder: Path, shape: YearShape = YearShape()) -> Path:
    """A year in the simulate format: consortium.yaml (every node; the demo admits and revokes),
    subscriptions.csv over the months and plays/<node>/<day>.csv."""
    rng = random.Random(shape.seed)
    folder.mkdir(parents=True, exist_ok=True)
    artists = [f"ar{i:03d}" for i in range(1, shape.artists + 1)]
    months = year_months(shape)
    doc = {"policy": {"price": "10.00", "node_share": "1.00", "top_n": 9, "min_seconds": 30, "currency": "USDP",
                      "min_payout": "25.00", "unclaimed_months": 6, "unclaimed_to": "wallet",
                      "consortium_wallet": "usdp:9ten-consortium"},
           # from the seventh month: a lower minimum, a shorter wait, unallocated money to the wallet
           "policies": [{"effective_from": _after(shape.first, 6), "min_payout": "10.00", "unclaimed_months": 3,
                         "unallocated_to": "wallet"}],
           "clusters": [{"id": "north"}, {"id": "south"}],
           "nodes": [{"id": n, "cluster": c, "wallet": f"usdp:{n}-operator"} for n, c, _ in YEAR_NODES],
           # the last artist is left out: its money is held until it registers, or unclaimed
           "artists": [{"id": a, "name": f"Artist {a[2:]}", "wallet": f"usdp:{a}"} for a in artists[:-1]]}
    (folder / "consortium.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    users = {node: [f"{node}-user{i:04d}" for i in range(shape.listeners)] for node, _, _ in YEAR_NODES}
    # the month-one farm's artists (ar148, ar149) and the unregistered one (ar150) are heard by no one else
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(artists) - 3)]
    taste = {user: rng.choices(artists[:-3], weights=weights, k=10) for group in users.values() for user in group}
    taste[f"{FAN[0]}-user{FAN[1]:04d}"] = [artists[-1]] * 5 + taste[f"{FAN[0]}-user{FAN[1]:04d}"]
    with (folder / "subscriptions.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["month", "node_id", "listener_id", "payment_ref", "amount"])
        for index, month in enumerate(months):
            farm = YEAR_FARMS.get(index)
            for node, _, active in YEAR_NODES:
                if index not in active:
                    continue
                for i, user in enumerate(users[node]):
                    farmed = farm is not None and farm[0] == node and CORE <= i < CORE + farm[1]
                    if i < CORE or farmed or rng.random() < 0.9:
                        writer.writerow([month, node, user, f"pay-{month}-{node}-{i:04d}", "10.00"])
                _write_year_plays(folder / "plays" / node, shape, month, node, users[node], taste, farm, rng)
    return folder


def _write_year_plays(folder: Path, shape: YearShape, month: str, node: str, users: list[str],
                      taste: dict[str, list[str]], farm: tuple | None, rng: random.Random) -> None:
    """A node's month of day files: each listener's plays from its taste, a farm's scripted plays,
    and 5 subscribers of n3 who play nothing."""
    folder.mkdir(parents=True, exist_ok=True)
    year, mon = (int(p) for p in month.split("-"))
    for day in range(1, calendar.monthrange(year, mon)[1] + 1):
        rows = []
        for i, user in enumerate(users):
            if farm is not None and farm[0] == node and CORE <= i < CORE + farm[1]:
                rows += _farm_plays(year, mon, day, user, rng, farm[2])
                continue
            if node == "n3" and 10 <= i < 15:
                continue
            moment = rng.randrange(60_000)
            for _ in range(rng.randint(0, 2 * shape.plays_per_listener_day)):
                artist = rng.choice(taste[user])
                seconds = rng.choice([12, 95, 180, 214, 260, 301])
                rows.append([_at(year, mon, day, moment), user, artist, f"{artist}-t{rng.randint(1, 8)}", seconds])
                moment += seconds + rng.randrange(5, 900)
        rows.sort()
        with (folder / f"{month}-{day:02d}.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(PLAY_COLUMNS)
            writer.writerows(rows)
