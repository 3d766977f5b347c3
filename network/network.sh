#!/usr/bin/env bash
# A real Hyperledger Fabric network on 127.0.0.1, no containers.
#
#   network/network.sh up       start (and on first run create) the network; idempotent
#   network/network.sh down     stop every process this script started (data kept)
#   network/network.sh status   each process, its port and health
#   network/network.sh restart-chaincode   restart only the Python chaincode server (after code changes)
#   network/network.sh env ORG  print the peer CLI environment of ORG's admin (eval it)
#   network/network.sh purge    down, then delete the runtime dir (crypto, ledgers, CA databases)
#
# Binaries come from network/build.sh (${NINETEN_FABRIC_HOME:-~/.cache/nineten/fabric}).
# Runtime dir: ${NINETEN_NETWORK_DIR:-~/.cache/nineten/network}; organisations: network/orgs.conf.
# Ordering service: one Raft orderer (etcdraft, single consenter) - enough on a 2-core machine.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
FABRIC_HOME=${NINETEN_FABRIC_HOME:-$HOME/.cache/nineten/fabric}
BIN=$FABRIC_HOME/bin
NET=${NINETEN_NETWORK_DIR:-$HOME/.cache/nineten/network}
ORGS_FILE=${NINETEN_ORGS_FILE:-$HERE/orgs.conf}

CHANNEL=${NINETEN_CHANNEL:-nineten}
CC_NAME=${NINETEN_CC_NAME:-nineten}
CC_VERSION=${NINETEN_CC_VERSION:-1.0}
CC_SEQUENCE=${NINETEN_CC_SEQUENCE:-1}
CC_LABEL=${CC_NAME}_${CC_VERSION}
# NINETEN_PORT_OFFSET shifts every port (orgs.conf, orderer, chaincode), so a second network
# (another NINETEN_NETWORK_DIR) can run beside the first, e.g. NINETEN_PORT_OFFSET=20000.
PORT_OFFSET=${NINETEN_PORT_OFFSET:-0}
[[ "$PORT_OFFSET" =~ ^[0-9]+$ ]] || { echo "network: ERROR: NINETEN_PORT_OFFSET must be a number, not '$PORT_OFFSET'" >&2; exit 1; }
CC_ADDRESS=${NINETEN_CC_ADDRESS:-127.0.0.1:$((9999 + PORT_OFFSET))}
# empty: the channel's default /Channel/Application/Endorsement = MAJORITY Endorsement (3 of 4 orgs)
CC_POLICY=${NINETEN_CC_POLICY:-}
DOMAIN=${NINETEN_DOMAIN:-nineten.test}
ORDERER_PORT=$((7050 + PORT_OFFSET))
ORDERER_ADMIN_PORT=$((7053 + PORT_OFFSET))
ORDERER_OPS_PORT=$((9443 + PORT_OFFSET))
CA_ADMIN=${NINETEN_CA_ADMIN:-admin}
CA_ADMIN_PW=${NINETEN_CA_ADMIN_PW:-adminpw}
if [[ -n "${NINETEN_PYTHON:-}" ]]; then PY=$NINETEN_PYTHON
elif [[ -x "$ROOT/.venv/bin/python" ]]; then PY=$ROOT/.venv/bin/python
else PY=python3; fi

CRYPTO=$NET/crypto
CFG=$NET/config
PIDS=$NET/pids
LOGS=$NET/logs
ORDERER_DIR=$CRYPTO/ordererOrganizations/$DOMAIN
ORDERER_HOST=orderer.$DOMAIN

say() { echo "network: $*"; }
die() { echo "network: ERROR: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

# ---- organisations -----------------------------------------------------------------------
ORG_NAMES=()
declare -A O_MSP O_CLUSTER O_PEER O_CC O_PEEROPS O_CA O_CAOPS
load_orgs() {
  [[ -f "$ORGS_FILE" ]] || die "no $ORGS_FILE"
  local name msp cl pp cc po ca cao rest
  while read -r name msp cl pp cc po ca cao rest; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    ORG_NAMES+=("$name")
    O_MSP[$name]=$msp; O_CLUSTER[$name]=$cl; O_PEER[$name]=$((pp + PORT_OFFSET)); O_CC[$name]=$((cc + PORT_OFFSET))
    O_PEEROPS[$name]=$((po + PORT_OFFSET)); O_CA[$name]=$((ca + PORT_OFFSET)); O_CAOPS[$name]=$((cao + PORT_OFFSET))
  done <"$ORGS_FILE"
  (( ${#ORG_NAMES[@]} )) || die "no organisation in $ORGS_FILE"
}
org_dir() { echo "$CRYPTO/peerOrganizations/$1.$DOMAIN"; }
peer_host() { echo "peer0.$1.$DOMAIN"; }

# ---- processes -----------------------------------------------------------------------------
# every process: name -> pid file, log, port, health url
declare -A P_PORT P_HEALTH P_BIN
register_procs() {
  P_PORT[orderer]=$ORDERER_PORT; P_HEALTH[orderer]="http://127.0.0.1:$ORDERER_OPS_PORT/healthz"; P_BIN[orderer]=orderer
  local o
  for o in "${ORG_NAMES[@]}"; do
    P_PORT[ca.$o]=${O_CA[$o]}; P_HEALTH[ca.$o]="http://127.0.0.1:${O_CAOPS[$o]}/healthz"; P_BIN[ca.$o]=fabric-ca-server
    P_PORT[peer0.$o]=${O_PEER[$o]}; P_HEALTH[peer0.$o]="http://127.0.0.1:${O_PEEROPS[$o]}/healthz"; P_BIN[peer0.$o]=peer
  done
  P_PORT[chaincode]=${CC_ADDRESS##*:}; P_HEALTH[chaincode]="tcp"; P_BIN[chaincode]=python
}
proc_names() {
  echo orderer
  local o; for o in "${ORG_NAMES[@]}"; do echo "ca.$o"; done
  for o in "${ORG_NAMES[@]}"; do echo "peer0.$o"; done
  echo chaincode
}
pid_of() { # prints the pid if the process recorded for $1 is alive and is what we started
  local f=$PIDS/$1.pid pid
  [[ -f "$f" ]] || return 1
  pid=$(cat "$f")
  [[ -n "$pid" && -d /proc/$pid ]] || return 1
  tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | grep -q -- "${P_BIN[$1]}" || return 1
  echo "$pid"
}
port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
port_holder() { ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:.*' | head -1; }
# Processes of this network that no pid file records (left by a run that was killed before `down`, or
# whose runtime dir was deleted under them): every process this script starts runs in a working dir
# inside $NET, so a Fabric binary or chaincode server whose cwd is there is ours.
stray_pids() {
  local p pid cwd recorded=" " n
  for n in $(proc_names); do recorded+="$(pid_of "$n" || true) "; done
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
    [[ "$cwd" == "$NET"/* ]] || continue
    [[ "$recorded" == *" $pid "* ]] && continue
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qE "^$BIN/(orderer|peer|fabric-ca-server) |-m chaincode serve " && echo "$pid"
  done
}
stop_strays() {
  local pid
  for pid in $(stray_pids); do
    say "stopping leftover process $pid ($(tr '\0' ' ' </proc/"$pid"/cmdline | cut -c1-80))"
    kill -KILL "$pid" 2>/dev/null || true
  done
  sleep 0.2
}
health() { # name -> ok / down / text
  local url=${P_HEALTH[$1]} out
  if [[ "$url" == tcp ]]; then
    (exec 3<>/dev/tcp/127.0.0.1/"${P_PORT[$1]}") 2>/dev/null && { echo ok; return; }
    echo down; return
  fi
  out=$(curl -s --max-time 3 "$url" 2>/dev/null) || { echo down; return; }
  if echo "$out" | grep -q '"status":"OK"'; then echo ok; else echo "unhealthy: $out"; fi
}
start_proc() { # name workdir cmd... (env already exported by caller in a subshell)
  local name=$1 wd=$2; shift 2
  mkdir -p "$PIDS" "$LOGS" "$wd"
  if pid_of "$name" >/dev/null; then say "$name already running"; return 0; fi
  if port_busy "${P_PORT[$name]}"; then
    die "port ${P_PORT[$name]} for $name is held by a process of no network in $NET ($(port_holder "${P_PORT[$name]}")); stop it or choose NINETEN_PORT_OFFSET"
  fi
  (cd "$wd" && exec setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null) &
  echo $! >"$PIDS/$name.pid"
}
wait_healthy() { # name timeout
  local name=$1 t=${2:-60} i
  for ((i = 0; i < t * 2; i++)); do
    if [[ "$(health "$name")" == ok ]]; then return 0; fi
    if ! pid_of "$name" >/dev/null; then
      tail -20 "$LOGS/$name.log" >&2; die "$name exited (log: $LOGS/$name.log)"
    fi
    sleep 0.5
  done
  tail -20 "$LOGS/$name.log" >&2; die "$name not healthy after ${t}s (log: $LOGS/$name.log)"
}

need_bins() {
  local b
  for b in peer orderer configtxgen cryptogen osnadmin fabric-ca-server; do
    [[ -x "$BIN/$b" ]] || die "$BIN/$b missing: run network/build.sh first"
  done
  [[ -x "$FABRIC_HOME/builders/ccaas/bin/detect" ]] || die "ccaas builder missing: run network/build.sh"
  [[ -f "$FABRIC_HOME/config/core.yaml" ]] || die "$FABRIC_HOME/config/core.yaml missing: run network/build.sh"
}

# ---- material --------------------------------------------------------------------------------
gen_crypto() {
  [[ -f "$CRYPTO/.done" ]] && return 0
  say "generating crypto material (cryptogen)"
  mkdir -p "$CFG"
  {
    echo "OrdererOrgs:"
    echo "  - Name: Orderer"
    echo "    Domain: $DOMAIN"
    echo "    EnableNodeOUs: true"
    echo "    Specs:"
    echo "      - Hostname: orderer"
    echo "        SANS: [localhost, 127.0.0.1]"
    echo "PeerOrgs:"
    local o
    for o in "${ORG_NAMES[@]}"; do
      echo "  - Name: ${O_MSP[$o]%MSP}"
      echo "    Domain: $o.$DOMAIN"
      echo "    EnableNodeOUs: true"
      echo "    CA:"
      echo "      Hostname: ca"
      echo "      SANS: [localhost, 127.0.0.1]"
      echo "    Template:"
      echo "      Count: 1"
      echo "      SANS: [localhost, 127.0.0.1]"
      echo "    Users:"
      echo "      Count: 1"
    done
  } >"$CFG/crypto-config.yaml"
  rm -rf "$CRYPTO"
  "$BIN/cryptogen" generate --config="$CFG/crypto-config.yaml" --output="$CRYPTO" >/dev/null
  touch "$CRYPTO/.done"
}

gen_config() {
  mkdir -p "$CFG"
  # core.yaml / orderer.yaml: Fabric's sampleconfig, patched. Per-node values are set by env.
  local core=$CFG/core.yaml
  sed -e "s#^\(\s*endpoint:\) unix:///var/run/docker.sock#\1#" \
      -e "s#^\(\s*path:\) /opt/hyperledger/ccaas_builder#\1 $FABRIC_HOME/builders/ccaas#" \
      "$FABRIC_HOME/config/core.yaml" >"$core"
  grep -q "path: $FABRIC_HOME/builders/ccaas" "$core" || die "could not patch chaincode.externalBuilders in core.yaml"
  grep -qE '^\s*endpoint:\s*$' "$core" || die "could not blank vm.endpoint in core.yaml"
  cp "$FABRIC_HOME/config/orderer.yaml" "$CFG/orderer.yaml"

  local o od
  {
    cat <<EOF
# generated by network/network.sh
Organizations:
  - &OrdererOrg
    Name: OrdererOrg
    ID: OrdererMSP
    MSPDir: $ORDERER_DIR/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('OrdererMSP.member')"}
      Writers: {Type: Signature, Rule: "OR('OrdererMSP.member')"}
      Admins: {Type: Signature, Rule: "OR('OrdererMSP.admin')"}
    OrdererEndpoints: ["127.0.0.1:$ORDERER_PORT"]
EOF
    for o in "${ORG_NAMES[@]}"; do
      od=$(org_dir "$o")
      cat <<EOF
  - &$o
    Name: ${O_MSP[$o]}
    ID: ${O_MSP[$o]}
    MSPDir: $od/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('${O_MSP[$o]}.admin', '${O_MSP[$o]}.peer', '${O_MSP[$o]}.client')"}
      Writers: {Type: Signature, Rule: "OR('${O_MSP[$o]}.admin', '${O_MSP[$o]}.client')"}
      Admins: {Type: Signature, Rule: "OR('${O_MSP[$o]}.admin')"}
      Endorsement: {Type: Signature, Rule: "OR('${O_MSP[$o]}.peer')"}
    AnchorPeers:
      - {Host: 127.0.0.1, Port: ${O_PEER[$o]}}
EOF
    done
    cat <<EOF
Capabilities:
  Channel: &ChannelCapabilities {V2_0: true}
  Orderer: &OrdererCapabilities {V2_0: true}
  Application: &ApplicationCapabilities {V2_5: true}
Application: &ApplicationDefaults
  Organizations:
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    LifecycleEndorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
    Endorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
  Capabilities: *ApplicationCapabilities
Orderer: &OrdererDefaults
  OrdererType: etcdraft
  BatchTimeout: 250ms
  BatchSize: {MaxMessageCount: 100, AbsoluteMaxBytes: 10 MB, PreferredMaxBytes: 2 MB}
  EtcdRaft:
    Consenters:
      - Host: 127.0.0.1
        Port: $ORDERER_PORT
        ClientTLSCert: $ORDERER_DIR/orderers/$ORDERER_HOST/tls/server.crt
        ServerTLSCert: $ORDERER_DIR/orderers/$ORDERER_HOST/tls/server.crt
  Organizations:
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    BlockValidation: {Type: ImplicitMeta, Rule: "ANY Writers"}
  Capabilities: *OrdererCapabilities
Channel: &ChannelDefaults
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
  Capabilities: *ChannelCapabilities
Profiles:
  NinetenChannel:
    <<: *ChannelDefaults
    Orderer:
      <<: *OrdererDefaults
      Organizations: [*OrdererOrg]
    Application:
      <<: *ApplicationDefaults
      Organizations: [$(printf '*%s, ' "${ORG_NAMES[@]}" | sed 's/, $//')]
EOF
  } >"$CFG/configtx.yaml"
}

# ---- environment for the nodes and the admin CLI -------------------------------------------------
orderer_env() {
  local tls=$ORDERER_DIR/orderers/$ORDERER_HOST/tls
  export FABRIC_CFG_PATH=$CFG FABRIC_LOGGING_SPEC=${NINETEN_ORDERER_LOGGING:-INFO}
  export ORDERER_GENERAL_LISTENADDRESS=127.0.0.1 ORDERER_GENERAL_LISTENPORT=$ORDERER_PORT
  export ORDERER_GENERAL_LOCALMSPID=OrdererMSP ORDERER_GENERAL_LOCALMSPDIR=$ORDERER_DIR/orderers/$ORDERER_HOST/msp
  export ORDERER_GENERAL_TLS_ENABLED=true ORDERER_GENERAL_TLS_PRIVATEKEY=$tls/server.key
  export ORDERER_GENERAL_TLS_CERTIFICATE=$tls/server.crt ORDERER_GENERAL_TLS_ROOTCAS="[$tls/ca.crt]"
  export ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE=$tls/server.crt ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY=$tls/server.key
  export ORDERER_GENERAL_CLUSTER_ROOTCAS="[$tls/ca.crt]"
  export ORDERER_GENERAL_BOOTSTRAPMETHOD=none ORDERER_CHANNELPARTICIPATION_ENABLED=true
  export ORDERER_ADMIN_LISTENADDRESS=127.0.0.1:$ORDERER_ADMIN_PORT ORDERER_ADMIN_TLS_ENABLED=true
  export ORDERER_ADMIN_TLS_CERTIFICATE=$tls/server.crt ORDERER_ADMIN_TLS_PRIVATEKEY=$tls/server.key
  export ORDERER_ADMIN_TLS_ROOTCAS="[$tls/ca.crt]" ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true
  export ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$tls/ca.crt]"
  export ORDERER_OPERATIONS_LISTENADDRESS=127.0.0.1:$ORDERER_OPS_PORT
  export ORDERER_FILELEDGER_LOCATION=$NET/orderer/ledger
  export ORDERER_CONSENSUS_WALDIR=$NET/orderer/etcdraft/wal ORDERER_CONSENSUS_SNAPDIR=$NET/orderer/etcdraft/snapshot
  export ORDERER_METRICS_PROVIDER=prometheus
}
peer_env() { # org: the peer node's own environment
  local o=$1 od; od=$(org_dir "$o")
  local pd=$od/peers/$(peer_host "$o")
  export FABRIC_CFG_PATH=$CFG FABRIC_LOGGING_SPEC=${NINETEN_PEER_LOGGING:-INFO}
  export CORE_PEER_ID=$(peer_host "$o") CORE_PEER_LOCALMSPID=${O_MSP[$o]} CORE_PEER_MSPCONFIGPATH=$pd/msp
  export CORE_PEER_LISTENADDRESS=127.0.0.1:${O_PEER[$o]} CORE_PEER_ADDRESS=127.0.0.1:${O_PEER[$o]}
  export CORE_PEER_CHAINCODELISTENADDRESS=127.0.0.1:${O_CC[$o]} CORE_PEER_CHAINCODEADDRESS=127.0.0.1:${O_CC[$o]}
  export CORE_PEER_GOSSIP_BOOTSTRAP=127.0.0.1:${O_PEER[$o]} CORE_PEER_GOSSIP_EXTERNALENDPOINT=127.0.0.1:${O_PEER[$o]}
  export CORE_PEER_GOSSIP_ENDPOINT=127.0.0.1:${O_PEER[$o]}
  export CORE_PEER_TLS_ENABLED=true CORE_PEER_TLS_CERT_FILE=$pd/tls/server.crt CORE_PEER_TLS_KEY_FILE=$pd/tls/server.key
  export CORE_PEER_TLS_ROOTCERT_FILE=$pd/tls/ca.crt
  export CORE_PEER_FILESYSTEMPATH=$NET/peer0.$o/data CORE_LEDGER_SNAPSHOTS_ROOTDIR=$NET/peer0.$o/snapshots
  export CORE_OPERATIONS_LISTENADDRESS=127.0.0.1:${O_PEEROPS[$o]} CORE_METRICS_PROVIDER=prometheus
  export CORE_PEER_PROFILE_ENABLED=false CORE_CHAINCODE_EXECUTETIMEOUT=300s CORE_PEER_GATEWAY_ENDORSEMENTTIMEOUT=300s
}
admin_env() { # org: the peer CLI acting as the org's admin against its peer
  local o=$1 od; od=$(org_dir "$o")
  export FABRIC_CFG_PATH=$CFG FABRIC_LOGGING_SPEC=WARNING
  export CORE_PEER_LOCALMSPID=${O_MSP[$o]} CORE_PEER_MSPCONFIGPATH=$od/users/Admin@$o.$DOMAIN/msp
  export CORE_PEER_ADDRESS=127.0.0.1:${O_PEER[$o]} CORE_PEER_TLS_ENABLED=true
  export CORE_PEER_TLS_ROOTCERT_FILE=$od/peers/$(peer_host "$o")/tls/ca.crt
}
ORDERER_CA() { echo "$ORDERER_DIR/tlsca/tlsca.$DOMAIN-cert.pem"; }
ORDERER_ARGS() { echo "-o 127.0.0.1:$ORDERER_PORT --ordererTLSHostnameOverride $ORDERER_HOST --tls --cafile $(ORDERER_CA)"; }

# ---- start -----------------------------------------------------------------------------------------
start_orderer() {
  mkdir -p "$NET/orderer"
  ( orderer_env; start_proc orderer "$NET/orderer" "$BIN/orderer" )
}
start_ca() {
  local o=$1 od; od=$(org_dir "$o")
  local home=$NET/ca.$o
  mkdir -p "$home"
  local cacert cakey
  cacert=$(ls "$od"/ca/*-cert.pem); cakey=$(ls "$od"/ca/*_sk)
  (
    export FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS=127.0.0.1:${O_CAOPS[$o]}
    export FABRIC_CA_SERVER_METRICS_PROVIDER=prometheus
    start_proc "ca.$o" "$home" "$BIN/fabric-ca-server" start --home "$home" \
      -b "$CA_ADMIN:$CA_ADMIN_PW" --address 127.0.0.1 --port "${O_CA[$o]}" --ca.name "ca-$o" \
      --ca.certfile "$cacert" --ca.keyfile "$cakey" --tls.enabled --csr.hosts localhost,127.0.0.1 \
      --csr.cn "ca.$o.$DOMAIN"
  )
}
start_peer() {
  local o=$1
  mkdir -p "$NET/peer0.$o"
  ( peer_env "$o"; start_proc "peer0.$o" "$NET/peer0.$o" "$BIN/peer" node start )
}
start_chaincode() {
  local ccid; ccid=$(cat "$NET/chaincode/package_id")
  # runs in $NET/chaincode (see stray_pids), importing this checkout's code
  PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH} start_proc chaincode "$NET/chaincode" "$PY" -m chaincode serve \
    --address "$CC_ADDRESS" --ccid "$ccid"
}

# ---- channel and chaincode -----------------------------------------------------------------------
create_channel() {
  mkdir -p "$NET/channel"
  local block=$NET/channel/$CHANNEL.block tls=$ORDERER_DIR/orderers/$ORDERER_HOST/tls
  if [[ ! -f "$block" ]]; then
    FABRIC_CFG_PATH=$CFG "$BIN/configtxgen" -profile NinetenChannel -outputBlock "$block" \
      -channelID "$CHANNEL" -configPath "$CFG" >"$LOGS/configtxgen.log" 2>&1 \
      || { cat "$LOGS/configtxgen.log" >&2; die "configtxgen failed"; }
  fi
  local adm=$ORDERER_DIR/users/Admin@$DOMAIN/tls
  local osn=("$BIN/osnadmin" channel -o "127.0.0.1:$ORDERER_ADMIN_PORT" --ca-file "$tls/ca.crt"
             --client-cert "$adm/client.crt" --client-key "$adm/client.key")
  if ! "${osn[@]}" list --channelID "$CHANNEL" 2>/dev/null | grep -q '^Status: 200'; then
    say "orderer joins channel $CHANNEL"
    "${osn[@]}" join --channelID "$CHANNEL" --config-block "$block" >"$LOGS/osnadmin.log" 2>&1 \
      || { cat "$LOGS/osnadmin.log" >&2; die "osnadmin channel join failed"; }
  fi
  local o i
  for o in "${ORG_NAMES[@]}"; do
    if ! ( admin_env "$o"; "$BIN/peer" channel getinfo -c "$CHANNEL" >/dev/null 2>&1 ); then
      say "peer0.$o joins channel $CHANNEL"
      for i in 1 2 3 4 5 6 7 8 9 10; do  # the orderer may still be electing its Raft leader
        if ( admin_env "$o"; "$BIN/peer" channel join -b "$block" >"$LOGS/join.$o.log" 2>&1 ); then break; fi
        [[ $i == 10 ]] && { cat "$LOGS/join.$o.log" >&2; die "peer0.$o could not join $CHANNEL"; }
        sleep 2
      done
    fi
  done
}

package_chaincode() {
  local d=$NET/chaincode
  mkdir -p "$d/src"
  printf '{"address":"%s","dial_timeout":"10s","tls_required":false}\n' "$CC_ADDRESS" >"$d/src/connection.json"
  printf '{"type":"ccaas","label":"%s"}\n' "$CC_LABEL" >"$d/src/metadata.json"
  # deterministic archives: the package id is label:sha256(file)
  local tarflags=(--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner)
  tar -C "$d/src" "${tarflags[@]}" -cf - connection.json | gzip -n >"$d/src/code.tar.gz"
  tar -C "$d/src" "${tarflags[@]}" -cf - metadata.json code.tar.gz | gzip -n >"$d/$CC_LABEL.tar.gz"
  echo "$CC_LABEL:$(sha256sum "$d/$CC_LABEL.tar.gz" | cut -d' ' -f1)" >"$d/package_id"
}

deploy_chaincode() {
  local pkg=$NET/chaincode/$CC_LABEL.tar.gz ccid o
  ccid=$(cat "$NET/chaincode/package_id")
  local policy=()
  [[ -n "$CC_POLICY" ]] && policy=(--signature-policy "$CC_POLICY")
  if ( admin_env "${ORG_NAMES[0]}"; "$BIN/peer" lifecycle chaincode querycommitted -C "$CHANNEL" -n "$CC_NAME" 2>/dev/null ) \
       | grep -q "Sequence: $CC_SEQUENCE,"; then
    return 0
  fi
  for o in "${ORG_NAMES[@]}"; do
    if ! ( admin_env "$o"; "$BIN/peer" lifecycle chaincode queryinstalled 2>/dev/null ) | grep -q "$ccid"; then
      say "installing $CC_LABEL on peer0.$o"
      ( admin_env "$o"; "$BIN/peer" lifecycle chaincode install "$pkg" >"$LOGS/install.$o.log" 2>&1 ) \
        || { cat "$LOGS/install.$o.log" >&2; die "install on peer0.$o failed"; }
    fi
  done
  for o in "${ORG_NAMES[@]}"; do
    say "${O_MSP[$o]} approves $CC_NAME $CC_VERSION (sequence $CC_SEQUENCE)"
    # shellcheck disable=SC2046
    ( admin_env "$o"; retry_orderer "$LOGS/approve.$o.log" "$BIN/peer" lifecycle chaincode approveformyorg \
        $(ORDERER_ARGS) -C "$CHANNEL" -n "$CC_NAME" -v "$CC_VERSION" --package-id "$ccid" \
        --sequence "$CC_SEQUENCE" "${policy[@]}" ) || grep -q 'with unchanged content' "$LOGS/approve.$o.log" || { cat "$LOGS/approve.$o.log" >&2; die "approve by $o failed"; }
  done
  local peers=()
  for o in "${ORG_NAMES[@]}"; do
    peers+=(--peerAddresses "127.0.0.1:${O_PEER[$o]}"
            --tlsRootCertFiles "$(org_dir "$o")/peers/$(peer_host "$o")/tls/ca.crt")
  done
  say "committing $CC_NAME to $CHANNEL"
  # shellcheck disable=SC2046
  ( admin_env "${ORG_NAMES[0]}"; retry_orderer "$LOGS/commit.log" "$BIN/peer" lifecycle chaincode commit \
      $(ORDERER_ARGS) -C "$CHANNEL" -n "$CC_NAME" -v "$CC_VERSION" --sequence "$CC_SEQUENCE" \
      "${policy[@]}" "${peers[@]}" ) || { cat "$LOGS/commit.log" >&2; die "chaincode commit failed"; }
}

write_profile() {
  local f=$NET/connection.yaml o od ph
  {
    echo "# generated by network/network.sh up; schema: network/README.md"
    echo "name: nineten-local"
    echo "version: 1"
    echo "channel: $CHANNEL"
    echo "chaincode: $CC_NAME"
    echo "chaincode_package_id: $(cat "$NET/chaincode/package_id")"
    echo "chaincode_address: $CC_ADDRESS"
    echo "orderer:"
    echo "  address: 127.0.0.1:$ORDERER_PORT"
    echo "  tls_ca_cert: $(ORDERER_CA)"
    echo "  ssl_target_name_override: $ORDERER_HOST"
    echo "organizations:"
    for o in "${ORG_NAMES[@]}"; do
      od=$(org_dir "$o"); ph=$(peer_host "$o")
      echo "  $o:"
      echo "    msp_id: ${O_MSP[$o]}"
      echo "    cluster: ${O_CLUSTER[$o]}"
      echo "    msp_dir: $od/msp"
      echo "    peer:"
      echo "      address: 127.0.0.1:${O_PEER[$o]}"
      echo "      tls_ca_cert: $od/peers/$ph/tls/ca.crt"
      echo "      ssl_target_name_override: $ph"
      echo "    ca:"
      echo "      url: https://127.0.0.1:${O_CA[$o]}"
      echo "      name: ca-$o"
      echo "      tls_ca_cert: $(ls "$od"/ca/*-cert.pem)"   # issued the CA server's TLS certificate
      echo "      registrar: {enroll_id: $CA_ADMIN, enroll_secret: $CA_ADMIN_PW}"
      echo "    admin:"
      echo "      cert: $(ls "$od/users/Admin@$o.$DOMAIN/msp/signcerts/"*.pem)"
      echo "      key: $(ls "$od/users/Admin@$o.$DOMAIN/msp/keystore/"*_sk)"
      echo "      msp_dir: $od/users/Admin@$o.$DOMAIN/msp"
    done
  } >"$f.tmp"
  mv "$f.tmp" "$f"
}

# retry_orderer <log> cmd...: retry while the orderer has no Raft leader yet (just joined/restarted)
retry_orderer() {
  local log=$1 i; shift
  for i in $(seq 1 20); do
    if "$@" >"$log" 2>&1; then return 0; fi
    grep -qE 'no Raft leader|SERVICE_UNAVAILABLE' "$log" || return 1
    sleep 1.5
  done
  return 1
}

# ---- commands --------------------------------------------------------------------------------------
all_up() {
  local n
  for n in $(proc_names); do
    pid_of "$n" >/dev/null || return 1
    [[ "$(health "$n")" == ok ]] || return 1
  done
}

cmd_up() {
  local t0; t0=$(now)
  need_bins
  if [[ -f "$NET/connection.yaml" ]] && all_up; then
    say "already up ($NET/connection.yaml)"; return 0
  fi
  mkdir -p "$NET" "$PIDS" "$LOGS"
  stop_strays
  gen_crypto
  gen_config
  package_chaincode
  local o n
  start_orderer
  for o in "${ORG_NAMES[@]}"; do start_ca "$o"; done
  for o in "${ORG_NAMES[@]}"; do start_peer "$o"; done
  start_chaincode
  for n in $(proc_names); do wait_healthy "$n" 90; done
  say "processes healthy after $(since "$t0")s"
  create_channel
  deploy_chaincode
  write_profile
  say "up in $(since "$t0")s; connection profile: $NET/connection.yaml"
  cmd_status
}

cmd_down() {
  local n pid stopped=() i
  for n in $(proc_names); do
    if pid=$(pid_of "$n"); then
      kill -TERM "$pid" 2>/dev/null || true
      stopped+=("$n:$pid")
    fi
  done
  for i in $(seq 1 40); do
    local alive=0 e
    for e in "${stopped[@]}"; do [[ -d /proc/${e#*:} ]] && alive=1; done
    (( alive )) || break
    sleep 0.25
  done
  for e in "${stopped[@]}"; do
    if [[ -d /proc/${e#*:} ]]; then say "${e%%:*} did not stop on TERM, killing"; kill -KILL "${e#*:}" 2>/dev/null || true; fi
  done
  stop_strays
  rm -f "$PIDS"/*.pid 2>/dev/null || true
  local left=()
  for n in $(proc_names); do port_busy "${P_PORT[$n]}" && left+=("$n(port ${P_PORT[$n]})"); done
  if (( ${#left[@]} )); then die "still listening after down: ${left[*]}"; fi
  say "down (${#stopped[@]} processes stopped; data kept in $NET)"
}

cmd_status() {
  local n pid h any=0
  printf '%-14s %-8s %-6s %s\n' PROCESS PID PORT HEALTH
  for n in $(proc_names); do
    if pid=$(pid_of "$n"); then h=$(health "$n"); any=1; else pid=-; h=stopped; fi
    printf '%-14s %-8s %-6s %s\n' "$n" "$pid" "${P_PORT[$n]}" "$h"
  done
  [[ -f "$NET/connection.yaml" ]] && echo "profile: $NET/connection.yaml"
  return 0
}

load_orgs
register_procs
case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) # print the peer CLI environment of an organisation's admin:  eval "$(network/network.sh env org1)"
    o=${2:-${ORG_NAMES[0]}}; [[ -n "${O_MSP[$o]:-}" ]] || die "unknown organisation $o"
    ( admin_env "$o"
      for v in FABRIC_CFG_PATH CORE_PEER_LOCALMSPID CORE_PEER_MSPCONFIGPATH CORE_PEER_ADDRESS \
               CORE_PEER_TLS_ENABLED CORE_PEER_TLS_ROOTCERT_FILE; do printf 'export %s=%q\n' "$v" "${!v}"; done
      printf 'export PATH=%q:$PATH\n' "$BIN"
      printf 'export ORDERER_CA=%q\n' "$(ORDERER_CA)" ) ;;
  restart-chaincode) # after changing the Python contracts: no redeploy needed for a ccaas chaincode
    if pid=$(pid_of chaincode); then kill -TERM "$pid"; for _ in $(seq 1 40); do [[ -d /proc/$pid ]] || break; sleep 0.25; done; fi
    start_chaincode; wait_healthy chaincode 30; say "chaincode server restarted" ;;
  purge) cmd_down; rm -rf "$NET"; say "removed $NET" ;;
  *) echo "usage: $0 up|down|status|restart-chaincode|purge|env [ORG]" >&2; exit 2 ;;
esac
