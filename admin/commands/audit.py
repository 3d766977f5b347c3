"""``nineten audit``: render a settled month's audit document from the chain, and verify files against it."""

import hashlib
import sys
import time
from pathlib import Path

import click

from ..choices import DAY_FORMATS
from . import pass_session


@click.group()
def audit() -> None:
    """Audit documents rendered from the chain alone, and checks of files against the chain."""


def _progress():
    started = time.monotonic()
    return lambda text: click.echo(f"[{time.monotonic() - started:5.1f} s] {text}", file=sys.stderr)


@audit.command("report")
@click.argument("month_id", metavar="MONTH")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder the document's files are written to (created if missing).")
@pass_session
def audit_report(session, month_id: str, out: Path) -> None:
    """Render settled MONTH's audit document from the chain and anchor its SHA-256 on chain.

    \b
    Files (audit-MONTH.*): .html (plots inlined), .pdf (the same sections, every row of every
    table), .md with the plots as -<plot>.png beside it, .csv (one row per figure) and .json
    (every figure); every figure names the block and transaction it comes from. The manifest audit-MONTH.manifest.json lists each
    file's SHA-256; its own SHA-256 is the document's, anchored with Audit:AnchorDocument as the
    reader identity (the first auditor of the wallet, or --as). The same chain renders the same
    bytes, so rendering again anchors nothing new.
    """
    from reports.chain import ChainReader
    from reports.figures import collect
    from reports.render import manifest_name, render_all

    progress = _progress()
    reader = ChainReader(session.reader())
    model = collect(reader, month_id, progress)
    files = render_all(model, progress)
    progress(f"writing {len(files)} files to {out}")
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    progress("anchoring the document's SHA-256 on chain")
    document = _anchor(reader.connection, model, files)
    for name in sorted(files):
        click.echo(str(out / name))
    check = "holds" if all(c["holds"] for c in model["checks"]) else "DOES NOT HOLD"
    click.echo(f"{month_id}: the money invariant {check}; figures as of block {model['as_of_block']}; "
               f"document SHA-256 {document['sha256']} (the SHA-256 of {manifest_name(month_id)}) "
               f"{document['how']}")
    progress("done")


def _anchor(reader, model: dict, files: dict[str, bytes]) -> dict[str, str]:
    """Anchor the document as the reader: the SHA-256 of its manifest file, with the manifest's
    block and files."""
    from chaincode import canonical_json
    from chaincode.contracts.audit import Audit
    from reports.render import manifest_name

    data = files[manifest_name(model["month"])]
    body, sha256 = canonical_json.loads(data), hashlib.sha256(data).hexdigest()
    committed = reader.submit(Audit.AnchorDocument, model["month"], sha256, str(body["as_of_block"]),
                              body["files"])
    how = (f"anchored in block {committed.block} (transaction {committed.txid})" if committed.json()["anchored"]
           else "was already anchored (nothing written)")
    return {"sha256": sha256, "how": how}


@audit.command("verify")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--month", "month_id", help="The month of a document file (default: from its name audit-MONTH...).")
@click.option("--node", help="The node of a day file (default: the name of its folder, as in <ledger>/days/<node>/).")
@click.option("--input-format", "fmt", type=click.Choice(DAY_FORMATS), help="Format of a raw day file "
              "(default: from its suffix).")
@pass_session
def audit_verify(session, file: Path, month_id: str | None, node: str | None, fmt: str | None) -> None:
    """Check FILE against the chain: a file of an audit document, or a node's day file.

    
    A document file (audit-MONTH.html/.pdf/.md/.csv/.json/.png or its manifest) is checked by
    rendering MONTH's document again from the chain: it matches when it is, byte for byte, a file
    of that document as the chain renders it now, or as of the block an anchored document of MONTH
    (or the file itself) says its figures are as of (on the embedded ledger, whose blocks this
    machine replays). Anchors are reported, not trusted: a file the chain does not render fails
    whatever is anchored, and an anchored document whose files the chain does not render is
    named. A file that differs lists each figure (JSON) or line (CSV, Markdown, HTML) that differs.
    A day file (YYYY-MM-DD.<csv|columns|parquet|jsonl>) matches when its canonical form (in the day
    format of its month's policy) hashes to the node's anchor of that day: a canonical day file as
    kept under <ledger>/days/<node>/ (CSV, or .columns with the policy's day_format columnar), or the
    node's raw file in any format `listens submit` reads (pseudonymised with the node's secret,
    so only on the node's machine). Otherwise the hash and every count that differ are listed.
    Exits 1 when the file does not match.
    """
    from reports import verify_document
    from reports.chain import ChainReader

    from .. import dayfile
    from ..errors import Mismatch

    reader = ChainReader(session.reader())
    try:
        if dayfile.is_day_file(file):
            click.echo(_verify_day(session, reader, file, node or file.parent.name, fmt))
        else:
            renderer = verify_document.Renderer(reader, verify_document.document_month(file, month_id),
                                                _earlier(session, reader.identity))
            sentence, notes = verify_document.verify_document(reader, renderer, file)
            for note in notes:
                click.echo(f"NOTE {note}")
            click.echo(sentence)
    except Mismatch as mismatch:
        for difference in mismatch.differences:
            click.echo(f"MISMATCH {difference}")
        raise


def _earlier(session, identity: str):
    """A reader of the chain as it was after a block: the embedded ledger replayed in memory; None
    on Fabric (the peers keep no state of past blocks)."""
    from reports.chain import ChainReader

    from ..client import Connection

    chain = session.client.local_chain()
    return lambda block: ChainReader(Connection(chain.as_of(block), identity)) if chain is not None else None


def _verify_day(session, reader, file: Path, node: str, fmt: str | None) -> str:
    from chaincode.contracts.registry import Registry
    from reports import verify

    from .. import dayfile
    from ..errors import InputError
    from ..listens import read_options

    nodes = [n["id"] for n in reader.query(Registry.ListNodes)]
    if node not in nodes:
        raise InputError(f"{node!r} is not a node of the consortium; give the day file's node with --node.",
                         str(file))
    day = dayfile.day_of(file)
    secret = _secret(session, node)
    frame = verify.day_frame(file, secret, fmt, read_options(session, keep_unmapped=True))
    return verify.verify_day(reader, file, node, frame, session.policy(day[:7]))


def _secret(session, node: str) -> bytes | None:
    """The node's secret if this machine keeps it, else None."""
    from ..errors import ConfigError

    try:
        return session.config.secret(node)
    except ConfigError:
        return None


COMMANDS = [audit]
