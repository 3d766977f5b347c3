#!/usr/bin/env bash
# The Go reference chaincode (Listening:Anchor, see main.go) beside the Python one on a running
# network: built, served as chaincode-as-a-service, installed, approved by every organisation and
# committed to the channel under its own name, with the Python chaincode's endorsement policy.
#
#   bench/anchor-go/deploy.sh up       build, (re)start the server if its binary changed, deploy once
#   bench/anchor-go/deploy.sh down     stop the server (the definition stays on the channel)
#   bench/anchor-go/deploy.sh status   the server's pid and the committed definition
#
# The network is the one NINETEN_NETWORK_DIR names (network/network.sh up first); the peer CLI
# environment comes from `network/network.sh env ORG`, addresses from its connection profile.
# Name: ${NINETEN_GO_CC_NAME:-anchor-go}; server: ${NINETEN_GO_CC_ADDRESS:-127.0.0.1:9998+NINETEN_PORT_OFFSET}.
# Runtime files: $NINETEN_NETWORK_DIR/<name>/ (binary, package), pids/<name>.pid, logs/<name>.log;
# `network/network.sh down` and `purge` stop the server with the network. A loopback network only:
# the server listens in this machine's namespace, in plaintext, where the peers of
# NINETEN_HOSTS=netns do not dial.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
NET=${NINETEN_NETWORK_DIR:-$HOME/.cache/nineten/network}
PORT_OFFSET=${NINETEN_PORT_OFFSET:-0}
NAME=${NINETEN_GO_CC_NAME:-anchor-go}
VERSION=1.0
SEQUENCE=1
LABEL=${NAME}_$VERSION
ADDRESS=${NINETEN_GO_CC_ADDRESS:-127.0.0.1:$((9998 + PORT_OFFSET))}
DIR=$NET/$NAME
PIDFILE=$NET/pids/$NAME.pid
LOG=$NET/logs/$NAME.log
PY=${NINETEN_PYTHON:-$ROOT/.venv/bin/python}

say() { echo "$NAME: $*"; }
die() { echo "$NAME: ERROR: $*" >&2; exit 1; }

[[ -f "$NET/connection.yaml" ]] || die "no network at $NET (run network/network.sh up first)"

# CHANNEL, ORGS (short names) and PEER_ARGS from the connection profile
eval "$("$PY" - "$NET/connection.yaml" <<'EOF'
import shlex, sys, yaml
p = yaml.safe_load(open(sys.argv[1]))
peers = []
for org in p["organizations"].values():
    peers += ["--peerAddresses", org["peer"]["address"], "--tlsRootCertFiles", org["peer"]["tls_ca_cert"]]
print(f"CHANNEL={shlex.quote(p['channel'])}")
print(f"ORGS=({' '.join(shlex.quote(o) for o in p['organizations'])})")
print(f"PEER_ARGS=({' '.join(shlex.quote(a) for a in peers)})")
EOF
)"

as_admin() { # org cmd...: run the peer CLI as the organisation's admin, with the orderer it uses
  local org=$1; shift
  ( eval "$("$ROOT/network/network.sh" env "$org")"
    "$@" -o "$ORDERER_ADDRESS" --ordererTLSHostnameOverride "$ORDERER_HOST" --tls --cafile "$ORDERER_CA" )
}
as_admin_local() { # org cmd...: the same, for commands that do not talk to the orderer
  local org=$1; shift
  ( eval "$("$ROOT/network/network.sh" env "$org")"; "$@" )
}

server_pid() { # the pid of our running server, if any
  local pid
  [[ -f "$PIDFILE" ]] && pid=$(cat "$PIDFILE") && [[ -d /proc/$pid ]] \
    && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "^$DIR/anchor-go " && echo "$pid"
}

stop_server() {
  local pid i
  pid=$(server_pid) || return 0
  kill -TERM "$pid"
  for i in $(seq 1 40); do [[ -d /proc/$pid ]] || break; sleep 0.25; done
  [[ -d /proc/$pid ]] && kill -KILL "$pid"
  rm -f "$PIDFILE"
  say "server $pid stopped"
}

package() { # a ccaas package; deterministic, so its id is stable
  local src=$DIR/src tarflags=(--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner)
  mkdir -p "$src"
  printf '{"address":"%s","dial_timeout":"10s","tls_required":false}\n' "$ADDRESS" >"$src/connection.json"
  printf '{"type":"ccaas","label":"%s"}\n' "$LABEL" >"$src/metadata.json"
  tar -C "$src" "${tarflags[@]}" -cf - connection.json | gzip -n >"$src/code.tar.gz"
  tar -C "$src" "${tarflags[@]}" -cf - metadata.json code.tar.gz | gzip -n >"$DIR/$LABEL.tar.gz"
  echo "$LABEL:$(sha256sum "$DIR/$LABEL.tar.gz" | cut -d' ' -f1)"
}

start_server() { # build; restart the server when its binary changed
  local ccid=$1 i pid
  mkdir -p "$DIR" "$NET/pids" "$NET/logs"
  ( cd "$HERE" && go build -trimpath -o "$DIR/anchor-go.new" . ) || die "go build failed"
  if server_pid >/dev/null && cmp -s "$DIR/anchor-go.new" "$DIR/anchor-go"; then
    rm -f "$DIR/anchor-go.new"; return 0
  fi
  stop_server
  mv "$DIR/anchor-go.new" "$DIR/anchor-go"
  # its working dir is in $NET, so network.sh down/purge stop it as a process of this network
  (cd "$DIR" && exec setsid "$DIR/anchor-go" --address "$ADDRESS" --ccid "$ccid" >>"$LOG" 2>&1 </dev/null) &
  pid=$!
  echo "$pid" >"$PIDFILE"
  for i in $(seq 1 40); do
    (exec 3<>"/dev/tcp/${ADDRESS%:*}/${ADDRESS##*:}") 2>/dev/null && { say "server $pid on $ADDRESS"; return 0; }
    [[ -d /proc/$pid ]] || { tail -5 "$LOG" >&2; die "server exited (log: $LOG)"; }  # still execing: not yet itself
    sleep 0.25
  done
  die "server not listening on $ADDRESS after 10 s (log: $LOG)"
}

committed() {
  as_admin_local "${ORGS[0]}" peer lifecycle chaincode querycommitted -C "$CHANNEL" -n "$NAME" 2>/dev/null \
    | grep -q "Sequence: $SEQUENCE,"
}

deploy() {
  local ccid=$1 org
  committed && return 0
  for org in "${ORGS[@]}"; do
    if ! as_admin_local "$org" peer lifecycle chaincode queryinstalled 2>/dev/null | grep -q "$ccid"; then
      say "installing $LABEL on $org's peer"
      as_admin_local "$org" peer lifecycle chaincode install "$DIR/$LABEL.tar.gz" >"$DIR/install.$org.log" 2>&1 \
        || { cat "$DIR/install.$org.log" >&2; die "install on $org's peer failed"; }
    fi
  done
  for org in "${ORGS[@]}"; do
    say "$org approves $NAME $VERSION (sequence $SEQUENCE)"
    as_admin "$org" peer lifecycle chaincode approveformyorg -C "$CHANNEL" -n "$NAME" -v "$VERSION" \
      --package-id "$ccid" --sequence "$SEQUENCE" >"$DIR/approve.$org.log" 2>&1 \
      || grep -q 'with unchanged content' "$DIR/approve.$org.log" \
      || { cat "$DIR/approve.$org.log" >&2; die "approve by $org failed"; }
  done
  say "committing $NAME to $CHANNEL"
  as_admin "${ORGS[0]}" peer lifecycle chaincode commit -C "$CHANNEL" -n "$NAME" -v "$VERSION" \
    --sequence "$SEQUENCE" "${PEER_ARGS[@]}" >"$DIR/commit.log" 2>&1 \
    || { cat "$DIR/commit.log" >&2; die "commit failed"; }
}

case "${1:-}" in
  up)
    mkdir -p "$DIR"
    ccid=$(package)
    start_server "$ccid"
    deploy "$ccid"
    say "up: chaincode $NAME on channel $CHANNEL, server $ADDRESS" ;;
  down) stop_server ;;
  status)
    if pid=$(server_pid); then say "server $pid on $ADDRESS"; else say "server stopped"; fi
    as_admin_local "${ORGS[0]}" peer lifecycle chaincode querycommitted -C "$CHANNEL" -n "$NAME" 2>&1 | sed "s/^/$NAME: /" ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
