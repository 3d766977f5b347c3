"""Following the chaincode's events with a checkpoint, so that a follower stopped or killed and
started again misses none and repeats none.

The checkpoint is a JSON file in the manner of fabric-gateway's file checkpointer:
``{"blockNumber": N, "transactionId": T}`` — the block of the last event handled and its transaction
(Fabric keeps one event per transaction, so the events of block N up to T are done). A follower
resumes at block N after T. When the events go to a file (``--out``), the checkpoint also records
that file's length after the last event handled (``"outputLength"``): a follower killed between
writing an event and recording it cuts the file back to that length when it starts again, so the
event is written once.
"""

import json
import os
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, ContextManager, Iterator

from chaincode import canonical_json

from .client import ChaincodeEvent, LedgerClient
from .errors import InputError


@dataclass
class Checkpoint:
    """Where a follower is: the last event handled (block and transaction), and its output's length."""

    path: Path | None
    block: int | None = None
    txid: str = ""
    output_length: int | None = None

    @classmethod
    def load(cls, path: Path | None) -> "Checkpoint":
        """The checkpoint saved at ``path`` (nothing handled yet when the file does not exist)."""
        if path is None or not Path(path).exists():
            return cls(path)
        try:
            data = json.loads(Path(path).read_text())
            block, txid = data["blockNumber"], data["transactionId"]
            length = data.get("outputLength")
            if not (isinstance(block, int) and block >= 0 and isinstance(txid, str)
                    and (length is None or isinstance(length, int) and length >= 0)):
                raise ValueError("blockNumber must be a block number and transactionId a string")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"not a checkpoint ({{\"blockNumber\", \"transactionId\"}}): {exc}", str(path)) from None
        return cls(Path(path), block, txid, length)

    def start(self, from_block: int | None) -> tuple[int | None, str]:
        """(block to start at, transaction of it already handled): the checkpoint's, else ``from_block``."""
        if self.block is not None:
            return self.block, self.txid
        return from_block, ""

    def save(self, event: ChaincodeEvent, output_length: int | None) -> None:
        """Record ``event`` as handled, atomically (a new file renamed over the old)."""
        self.block, self.txid, self.output_length = event.block, event.txid, output_length
        if self.path is None:
            return
        record = {"blockNumber": self.block, "transactionId": self.txid}
        if output_length is not None:
            record["outputLength"] = output_length
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(record) + "\n")
        os.replace(temporary, self.path)


def line(event: ChaincodeEvent, fmt: str) -> str:
    """One event as a line: JSON (``--format json``), else block, transaction, name and payload."""
    if fmt == "json":
        try:
            payload = canonical_json.loads(event.payload) if event.payload else None
        except ValueError:
            payload = event.payload
        return json.dumps({"block": event.block, "event": event.name, "payload": payload, "txid": event.txid},
                          ensure_ascii=False, separators=(",", ":"))
    return f"{event.block} {event.txid} {event.name} {event.payload}"


class FileOutput:
    """Lines appended to a file, which is first cut back to the length the checkpoint recorded."""

    def __init__(self, path: Path, length: int | None) -> None:
        self.file = open(path, "ab")
        if length is not None and self.file.tell() != length:
            if self.file.tell() < length:
                raise InputError(f"is shorter ({self.file.tell()} bytes) than the checkpoint records ({length}); "
                                 "it is not the output of this checkpoint", str(path))
            self.file.truncate(length)

    def write(self, text: str) -> int:
        """Append a line; the file's length after it."""
        self.file.write(text.encode() + b"\n")
        self.file.flush()
        return self.file.tell()

    def close(self) -> None:
        self.file.close()


def follow(client: LedgerClient, identity: str, checkpoint: Checkpoint, from_block: int | None,
           handle: Callable[[ChaincodeEvent], int | None],
           critical: Callable[[], ContextManager] = nullcontext) -> Iterator[ChaincodeEvent]:
    """Hand every event after the checkpoint to ``handle`` (which returns the output's length, or
    None) and record it in the checkpoint, both inside ``critical()``; yields each event once recorded."""
    block, txid = checkpoint.start(from_block)
    for event in client.chaincode_events(identity, block, txid):
        with critical():
            checkpoint.save(event, handle(event))
        yield event
