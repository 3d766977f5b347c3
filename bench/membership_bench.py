"""Wall time of admitting an organisation to the running network end to end, and of revoking it.

On the network that NINETEN_NETWORK_DIR names, purged and brought up again for each round (the
consortium of n1..n4 bootstrapped, not timed). Every step is one whole process, the command an
admin runs (README, "Admitting an organisation"):

  admission   network.sh add-org org5; consortium propose admit_node (n1); approve (n2, n3);
              channel prepare admit; channel sign (org1, org2, org3); channel submit;
              network.sh join-org org5; n5's first anchor committed
  revocation  consortium propose revoke_node (n1); approve (n2, n3); channel prepare remove;
              channel sign (org1, org2, org3); channel submit; network.sh remove-org org5

Reference, in the same round: ``network.sh up`` of the four founding organisations, and one
anchor of n1 through the CLI (a plain transaction, whole process). Prints each step's time,
the totals, then everything as JSON.

  bench/run.sh membership [--rounds N]
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETWORK_SH = ROOT / "network" / "network.sh"
NINETEN = Path(sys.executable).with_name("nineten")
NET = Path(os.environ.get("NINETEN_NETWORK_DIR", Path.home() / ".cache/nineten/network"))
PROFILE = NET / "connection.yaml"
CONSORTIUM = """\
policy: {price: "10.00", node_share: "1.00", top_n: 9, min_seconds: 30, currency: USDP}
clusters: [{id: A}, {id: B}]
nodes:
  - {id: n1, cluster: A, wallet: wallet-n1, msp_id: Org1MSP}
  - {id: n2, cluster: A, wallet: wallet-n2, msp_id: Org2MSP}
  - {id: n3, cluster: B, wallet: wallet-n3, msp_id: Org3MSP}
  - {id: n4, cluster: B, wallet: wallet-n4, msp_id: Org4MSP}
artists: [{id: a1, name: Ann, wallet: wallet-a1}]
"""
ORG5 = """\
policy: {price: "10.00", node_share: "1.00", top_n: 9, min_seconds: 30, currency: USDP}
clusters: [{id: B}]
nodes: [{id: n5, cluster: B, wallet: wallet-n5, msp_id: Org5MSP}]
artists: []
"""
COUNTS = '{"rows": 3, "listeners": 2, "plays": 3, "seconds": 600}'


class Round:
    """One purge, up, admission and revocation, each step a process, timed."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.steps = folder, []

    def run(self, *command: str, step: str | None = None) -> str:
        started = time.monotonic()
        done = subprocess.run(command, cwd=self.folder, capture_output=True, text=True)
        seconds = time.monotonic() - started
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        if step:
            self.steps.append({"step": step, "seconds": round(seconds, 2)})
        return done.stdout

    def nineten(self, *args: str, step: str | None = None, ledger: str = "ledger") -> str:
        return self.run(str(NINETEN), "--ledger", ledger, "--gateway", str(PROFILE), *args, step=step)

    def propose(self, kind: str, payload: dict, phase: str) -> None:
        proposal = json.loads(self.nineten("--format", "json", "consortium", "propose", kind, json.dumps(payload),
                                           "--node", "n1", step=f"{phase}: propose {kind} (n1)"))
        for node in ("n2", "n3"):
            self.nineten("consortium", "approve", proposal["id"], "--node", node, step=f"{phase}: approve ({node})")

    def sign_and_submit(self, update: str, phase: str) -> None:
        for org in ("org1", "org2", "org3"):
            self.nineten("channel", "sign", update, "--org", org, step=f"{phase}: channel sign ({org})")
        self.nineten("channel", "submit", update, "--org", "org3", step=f"{phase}: channel submit")

    def __call__(self) -> dict:
        self.run(str(NETWORK_SH), "purge")
        self.run(str(NETWORK_SH), "up", step="reference: network.sh up (4 organisations)")
        (self.folder / "consortium.yaml").write_text(CONSORTIUM)
        (self.folder / "org5.yaml").write_text(ORG5)
        self.nineten("init", "--consortium", "consortium.yaml")
        self.nineten("consortium", "load", "consortium.yaml")
        self.nineten("--as", "n1.admin", "invoke", "Listening:Anchor", "n1", "2026-10-01", "a" * 64, COUNTS,
                     step="reference: one anchor of n1 (nineten invoke)")

        self.run(str(NETWORK_SH), "add-org", "org5", "--cluster", "B", step="admit: network.sh add-org org5")
        definition = NET / "orgs" / "org5" / "org5.json"   # its SHA-256 is the definition_sha256 add-org prints
        sha = hashlib.sha256(definition.read_bytes()).hexdigest()
        self.propose("admit_node", {"id": "n5", "cluster": "B", "msp_id": "Org5MSP", "wallet": "wallet-n5",
                                    "definition_sha256": sha}, "admit")
        self.nineten("channel", "prepare", "admit", str(definition), "--out", "admit.tx",
                     step="admit: channel prepare admit")
        self.sign_and_submit("admit.tx", "admit")
        self.run(str(NETWORK_SH), "join-org", "org5", step="admit: network.sh join-org org5")
        self.nineten("init", "--consortium", "org5.yaml", ledger="ledger5")
        self.nineten("--as", "n5.admin", "invoke", "Listening:Anchor", "n5", "2026-10-01", "b" * 64, COUNTS,
                     ledger="ledger5", step="admit: n5's first anchor (nineten invoke)")

        self.propose("revoke_node", {"node_id": "n5"}, "revoke")
        self.nineten("channel", "prepare", "remove", "Org5MSP", "--out", "remove.tx",
                     step="revoke: channel prepare remove")
        self.sign_and_submit("remove.tx", "revoke")
        self.run(str(NETWORK_SH), "remove-org", "org5", step="revoke: network.sh remove-org org5")
        totals = {phase: round(sum(s["seconds"] for s in self.steps if s["step"].startswith(phase + ":")), 2)
                  for phase in ("admit", "revoke")}
        return {"steps": self.steps, "totals": totals}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1, help="Rounds, each on a freshly purged network.")
    args = parser.parse_args()
    rounds = []
    for number in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            rounds.append(Round(Path(tmp))())
        for step in rounds[-1]["steps"]:
            print(f"round {number + 1}  {step['step']:<52} {step['seconds']:7.2f} s")
        print(f"round {number + 1}  admission end to end {rounds[-1]['totals']['admit']:.2f} s, "
              f"revocation {rounds[-1]['totals']['revoke']:.2f} s")
    summary = {phase: statistics.median(r["totals"][phase] for r in rounds) for phase in ("admit", "revoke")}
    print(f"median of {len(rounds)}: admission {summary['admit']:.2f} s, revocation {summary['revoke']:.2f} s")
    print(json.dumps({"rounds": rounds, "median": summary}, indent=2))


if __name__ == "__main__":
    main()
