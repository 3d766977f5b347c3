"""``python -m chaincode serve``: run the 9ten chaincode as a service for the Fabric peers."""

from __future__ import annotations

import argparse
import logging
import os
import sys


def _serve(args: argparse.Namespace) -> int:
    from .server import quiet_shim_logging, run

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    quiet_shim_logging(logging.DEBUG if args.verbose else logging.WARNING)
    if not args.ccid:
        print("serve: the chaincode package id is needed (--ccid or CHAINCODE_ID)", file=sys.stderr)
        return 2
    if args.chaincode:
        module, _, attr = args.chaincode.partition(":")
        import importlib

        factory = getattr(importlib.import_module(module), attr or "build_chaincode")
    else:
        from .dispatch import build_chaincode as factory
    chaincode = factory()
    if args.pid_file:
        with open(args.pid_file, "w") as fh:
            fh.write(f"{os.getpid()}\n")
    try:
        run(chaincode, args.ccid, args.address,
            tls_key=args.tls_key, tls_cert=args.tls_cert, client_ca=args.tls_client_ca)
    finally:
        if args.pid_file:
            try:
                os.unlink(args.pid_file)
            except OSError:
                pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaincode")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve the chaincode to Fabric peers (chaincode as a service)")
    s.add_argument("--address", default=os.environ.get("CHAINCODE_SERVER_ADDRESS", "127.0.0.1:9999"),
                   help="listen address (default 127.0.0.1:9999, env CHAINCODE_SERVER_ADDRESS)")
    s.add_argument("--ccid", default=os.environ.get("CHAINCODE_ID"),
                   help="chaincode package id label:sha256 the peers expect (env CHAINCODE_ID)")
    s.add_argument("--tls-key", default=os.environ.get("CHAINCODE_TLS_KEY"))
    s.add_argument("--tls-cert", default=os.environ.get("CHAINCODE_TLS_CERT"))
    s.add_argument("--tls-client-ca", default=os.environ.get("CHAINCODE_CLIENT_CA_CERT"),
                   help="require peers' client certificates signed by this CA")
    s.add_argument("--pid-file", help="write the process id here while serving")
    s.add_argument("--chaincode", help=argparse.SUPPRESS)  # module:factory, for tests
    s.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
