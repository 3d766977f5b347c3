"""``nineten channel``: the Fabric channel's organisations, changed only as the registry decided and
as a majority of the organisations' admins sign."""

from pathlib import Path

import click

from . import pass_session, show

FILE = click.Path(path_type=Path, exists=True, dir_okay=False)
NEW_FILE = click.Path(path_type=Path, dir_okay=False)


def _org_option(what: str):
    return click.option("--org", required=True, help="Your organisation (its name in the connection profile, "
                        f"or its MSP id): its admin's certificate and key {what}.")


@click.group()
def channel() -> None:
    """The channel's organisations (a Fabric network: --gateway PROFILE).

    \b
    An organisation joins or leaves the channel only as the consortium decided (an applied
    admit_node or revoke_node proposal) and as a majority of the channel's organisations' admins
    sign, each with its own key: the update travels as a file.
      nineten channel define --msp-dir DIR --msp-id Org5MSP --anchor-peer HOST:PORT --out org5.json
                                                        (the new organisation: its definition)
      nineten consortium propose admit_node '{..., "msp_id": "Org5MSP", "definition_sha256": "..."}'
      nineten consortium approve ID                     (each node, until a majority)
      nineten channel prepare admit org5.json --out admit-org5.tx
      nineten channel sign admit-org5.tx --org org1     (each organisation's admin, on its machine)
      nineten channel submit admit-org5.tx --org org3   (once a majority signed)
    Removing a revoked node's organisation: `channel prepare remove Org5MSP --out F`, then the same.
    The file is a Fabric CONFIG_UPDATE envelope, as `peer channel signconfigtx` and `update` take it.
    """


@channel.command("define")
@click.option("--msp-dir", type=click.Path(path_type=Path, exists=True, file_okay=False), required=True,
              help="The organisation's verifying MSP folder (cacerts, tlscacerts, config.yaml with NodeOUs).")
@click.option("--msp-id", required=True, help="The organisation's MSP id, e.g. Org5MSP.")
@click.option("--anchor-peer", "anchor_peers", multiple=True, metavar="HOST:PORT",
              help="An anchor peer other organisations' peers reach it by (repeatable).")
@click.option("--out", "out_file", type=NEW_FILE, required=True, help="Where to write the definition (JSON).")
def channel_define(msp_dir: Path, msp_id: str, anchor_peers: tuple[str, ...], out_file: Path) -> None:
    """Write the definition an organisation hands the consortium to be admitted: its MSP id, its
    verifying MSP and anchor peers (as configtxgen reads them); prints its SHA-256, which the
    admit_node proposal names as definition_sha256."""
    from ..errors import InputError
    from ..fabric import configtx

    peers = []
    for peer in anchor_peers:
        host, _, port = peer.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise InputError(f"{peer!r} is not HOST:PORT", field="--anchor-peer")
        peers.append((host, int(port)))
    definition = configtx.read_msp_folder(msp_dir, msp_id, peers)
    configtx.org_group(definition)
    out_file.write_bytes(configtx.definition_bytes(definition))
    click.echo(f"definition of {msp_id} written to {out_file}")
    _show_definition(definition)


def _show_definition(definition: dict) -> None:
    from ..fabric import configtx

    for fingerprint in configtx.root_fingerprints(definition):
        click.echo(f"  root CA SHA-256 fingerprint  {fingerprint}")
    anchors = ", ".join(f"{a['host']}:{a['port']}" for a in definition["anchor_peers"]) or "none"
    click.echo(f"  anchor peers                 {anchors}")
    click.echo(f"  definition_sha256            {configtx.definition_sha256(definition)}")


@channel.command("show")
@pass_session
def channel_show(session) -> None:
    """The channel's organisations as its configuration holds them (MSP id, whether it runs an
    orderer, root CA fingerprint, anchor peers, definition SHA-256) and its configuration number."""
    from ..fabric import channel as fabric_channel
    from ..fabric import configtx

    config = fabric_channel.read_config(session.reader())
    group = config.channel_group
    orderers = set(configtx.orderer_orgs(group))
    rows = []
    for msp_id in configtx.application_orgs(group):
        definition = configtx.definition_of(msp_id, group.groups[configtx.APPLICATION].groups[msp_id])
        rows.append({"msp_id": msp_id, "orderer": "yes" if msp_id in orderers else "",
                     "root_ca": ",".join(f[:23] + "…" for f in configtx.root_fingerprints(definition)),
                     "anchor_peers": ",".join(f"{a['host']}:{a['port']}" for a in definition["anchor_peers"]),
                     "definition_sha256": configtx.definition_sha256(definition)})
    show(rows, ["msp_id", "orderer", "root_ca", "anchor_peers", "definition_sha256"])
    if click.get_current_context().find_root().meta["format"] == "table":
        click.echo(f"configuration {config.sequence}; a change of its organisations needs the signatures of "
                   f"{fabric_channel.majority(group)} of their {len(rows)} admins (MAJORITY Admins)")


@channel.command("prepare")
@click.argument("action", type=click.Choice(["admit", "remove"]))
@click.argument("target", metavar="DEFINITION|MSP_ID")
@click.option("--out", "out_file", type=NEW_FILE, required=True, help="Where to write the update file.")
@pass_session
def channel_prepare(session, action: str, target: str, out_file: Path) -> None:
    """Prepare the update that admits the organisation of the definition file DEFINITION, or removes
    the organisation MSP_ID, computed against the channel's current configuration. Refused unless
    the registry has the applied proposal: admit_node naming the definition's MSP id and SHA-256
    (its node active), or revoke_node of the node of MSP_ID. Nobody has signed it yet."""
    from ..fabric import channel as fabric_channel
    from ..fabric import configtx

    if action == "admit":
        definition = configtx.load_definition(Path(target))
        change = configtx.Change("admit", definition["msp_id"], configtx.org_group(definition))
    else:
        change = configtx.Change("remove", target)
    envelope, assessment = fabric_channel.prepare(session.reader(), change)
    fabric_channel.write_file(out_file, envelope)
    _describe(assessment)
    click.echo(f"written to {out_file}, unsigned; next: each organisation's admin runs "
               f"`nineten channel sign {out_file} --org ORG` ({assessment.needed} needed)")


@channel.command("inspect")
@click.argument("update_file", type=FILE)
@pass_session
def channel_inspect(session, update_file: Path) -> None:
    """What the update file does to the channel as it is now, the registry's proposal that allows
    it, and who signed it. Exits 3 when the registry does not allow it or the channel moved on."""
    from ..fabric import channel as fabric_channel

    _describe(fabric_channel.assess(session.reader(), update_file)[1])


@channel.command("sign")
@click.argument("update_file", type=FILE)
@_org_option("sign the update")
@pass_session
def channel_sign(session, update_file: Path, org: str) -> None:
    """Check the update file against the channel and the registry (as `inspect`), then add your
    organisation admin's signature to it, in place. Signing again changes nothing."""
    from ..fabric import channel as fabric_channel

    reader = session.reader()
    body, assessment = fabric_channel.assess(reader, update_file)
    admin = fabric_channel.org_admin(session.gateway_profile, org)
    if admin.msp_id in {s.msp_id for s in assessment.signatures}:
        _describe(assessment)
        click.echo(f"{admin.msp_id} has already signed {update_file}; nothing changed")
        return
    signed = fabric_channel.add_signature(body, admin)
    fabric_channel.write_file(update_file, fabric_channel.signed_envelope(fabric_channel.fabric_client(reader).channel,
                                                                          signed, admin))
    _, assessment = fabric_channel.assess(reader, update_file)
    _describe(assessment)
    missing = assessment.needed - len(assessment.signed_by)
    click.echo(f"signed by {admin.msp_id}'s admin; " + (f"{missing} more needed" if missing > 0 else
               f"ready: `nineten channel submit {update_file} --org ORG`"))


@channel.command("submit")
@click.argument("update_file", type=FILE)
@_org_option("sign the envelope sent to the orderers")
@pass_session
def channel_submit(session, update_file: Path, org: str) -> None:
    """Check the update file (as `inspect`) and that a majority of the organisations' admins signed
    it, send it to the ordering service, and wait until your peer holds the new configuration."""
    from ..errors import InputError
    from ..fabric import channel as fabric_channel

    reader = session.reader()
    body, assessment = fabric_channel.assess(reader, update_file)
    if len(assessment.signed_by) < assessment.needed:
        raise InputError(f"signed by {len(assessment.signed_by)} of the {assessment.needed} organisations' admins "
                         f"the channel needs ({', '.join(assessment.signed_by) or 'none'}); more must "
                         "`nineten channel sign` it", str(update_file))
    client, admin = fabric_channel.fabric_client(reader), fabric_channel.org_admin(session.gateway_profile, org)
    orderer = fabric_channel.broadcast(client.profile, fabric_channel.signed_envelope(client.channel, body, admin),
                                       admin.msp_id)
    config = fabric_channel.wait_for(reader, assessment.config.sequence + 1)
    change = assessment.change
    verb = "admitted to" if change.action == "admit" else "removed from"
    click.echo(f"{change.msp_id} {verb} channel {client.channel} (configuration {config.sequence}; sent to "
               f"{orderer} by {admin.msp_id}'s admin, signed by {', '.join(assessment.signed_by)})")
    if change.action == "admit":
        click.echo("next: its peer joins the channel and its admin approves the chaincode definition "
                   "(network/network.sh join-org NAME on this machine)")


def _describe(assessment) -> None:
    """What an update does, what allows it, and who signed it."""
    fmt = click.get_current_context().find_root().meta["format"]
    change, proposal = assessment.change, assessment.proposal
    record = {"action": change.action, "msp_id": change.msp_id, "configuration": assessment.config.sequence,
              "proposal": proposal["id"] if proposal else None,
              "approved_by": proposal["approvals"] if proposal else [],
              "signatures": [{"msp_id": s.msp_id, "subject": s.subject, "counts": s.counts, "why_not": s.why_not}
                             for s in assessment.signatures],
              "needed": assessment.needed}
    if change.definition is not None:
        from ..fabric import configtx

        record["definition_sha256"] = configtx.definition_sha256(change.definition)
    if fmt == "json":
        show(record)
        return
    verb = "admits" if change.action == "admit" else "removes"
    click.echo(f"update of the channel at configuration {assessment.config.sequence}: {verb} {change.msp_id}")
    if change.definition is not None:
        _show_definition(change.definition)
    if proposal:
        click.echo(f"  decided by proposal {proposal['id']} ({proposal['kind']}, applied; approved by "
                   f"{', '.join(proposal['approvals'])})")
    else:
        click.echo(f"  no node of the registry has {change.msp_id}")
    for s in assessment.signatures:
        click.echo(f"  signed by {s.msp_id} ({s.subject})" + ("" if s.counts else f": does not count, {s.why_not}"))
    click.echo(f"  {len(assessment.signed_by)} of the {assessment.needed} admins' signatures needed")


COMMANDS = [channel]
