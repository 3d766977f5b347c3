#!/usr/bin/env bash
# A real Hyperledger Fabric network on one machine, no containers.
#
#   network/network.sh up       start (and on first run create) the network; idempotent
#   network/network.sh down     stop every process this script started (data kept; namespaces removed)
#   network/network.sh status   each process, its address and health
#   network/network.sh env ORG  print the peer CLI environment of ORG's admin (eval it)
#   network/network.sh purge    down, then delete the runtime dir (crypto, ledgers, CA databases)
# Operations and faults (see network/README.md):
#   restart-chaincode [ORG]     restart the Python chaincode servers (after code changes)
#   stop PROCESS [SIGNAL]       stop one process (default TERM; KILL for a crash); start PROCESS
#   leader                      the Raft leader's process name
#   partition CLUSTER / heal [CLUSTER]   cut a cluster's hosts off the rest and reconnect (netns)
#   upgrade-chaincode VERSION [ORG...]   new version, sequence + 1, approved by ORGs (default all),
#                               committed; or in two steps: prepare-chaincode VERSION [ORG...],
#                               then commit-chaincode
#   approve-chaincode ORG       approve the prepared (else the committed) version for ORG
# Organisations that join later (network/joining.conf; the consortium admits them, see README.md):
#   add-org NAME [--cluster C]  prepare NAME as its own host would (crypto, CA, peer, chaincode server
#                               in a folder of its own) and write its definition; the channel unchanged
#   join-org NAME               once the channel admitted it: its peer joins, it approves the chaincode
#   remove-org NAME             stop it and remove its folder (once the channel removed it)
#
# Binaries come from network/build.sh (${NINETEN_FABRIC_HOME:-~/.cache/nineten/fabric}).
# Runtime dir: ${NINETEN_NETWORK_DIR:-~/.cache/nineten/network}; organisations: network/orgs.conf.
# Hosts: NINETEN_HOSTS=loopback (default: every process on 127.0.0.1) or netns (a Linux network
# namespace per organisation and per orderer, on bridges in a namespace of their own).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
FABRIC_HOME=${NINETEN_FABRIC_HOME:-$HOME/.cache/nineten/fabric}
BIN=$FABRIC_HOME/bin
NET=${NINETEN_NETWORK_DIR:-$HOME/.cache/nineten/network}
ORGS_FILE=${NINETEN_ORGS_FILE:-$HERE/orgs.conf}
JOINING_FILE=${NINETEN_JOINING_FILE:-$HERE/joining.conf}

CHANNEL=${NINETEN_CHANNEL:-nineten}
CC_NAME=${NINETEN_CC_NAME:-nineten}
# the first deployment; upgrade-chaincode moves on from it
CC_VERSION=${NINETEN_CC_VERSION:-1.0}
CC_SEQUENCE=${NINETEN_CC_SEQUENCE:-1}
# NINETEN_PORT_OFFSET shifts every port (orgs.conf), so a second network (another
# NINETEN_NETWORK_DIR) can run beside the first, e.g. NINETEN_PORT_OFFSET=20000.
PORT_OFFSET=${NINETEN_PORT_OFFSET:-0}
[[ "$PORT_OFFSET" =~ ^[0-9]+$ ]] || { echo "network: ERROR: NINETEN_PORT_OFFSET must be a number, not '$PORT_OFFSET'" >&2; exit 1; }
# empty: the channel's default /Channel/Application/Endorsement = MAJORITY Endorsement (3 of 4 orgs)
CC_POLICY=${NINETEN_CC_POLICY:-}
DOMAIN=${NINETEN_DOMAIN:-nineten.test}
CA_ADMIN=${NINETEN_CA_ADMIN:-admin}
CA_ADMIN_PW=${NINETEN_CA_ADMIN_PW:-adminpw}
if [[ -n "${NINETEN_PYTHON:-}" ]]; then PY=$NINETEN_PYTHON
elif [[ -x "$ROOT/.venv/bin/python" ]]; then PY=$ROOT/.venv/bin/python
else PY=python3; fi

CRYPTO=$NET/crypto
NODES=$CRYPTO/nodes   # identities enrolled at the founding organisations' CAs (orderers, chaincode servers)
ADDED=$NET/orgs      # organisations added to the running network (add-org), a folder each
CFG=$NET/config
PIDS=$NET/pids
LOGS=$NET/logs
CCDIR=$NET/chaincode
# namespaces (n9t<offset>-<host>) and the host-side link (n9t<offset>-c) of this network
NSP=n9t$PORT_OFFSET
BRNS=$NSP-net

say() { echo "network: $*"; }
die() { echo "network: ERROR: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

# ---- organisations -----------------------------------------------------------------------
# ORG_NAMES: every organisation of this network: FOUNDERS (orgs.conf: the channel's genesis) and those
# added later (add-org, each with its own line in $ADDED/<org>/org.conf); MEMBERS: those whose peer
# is in the channel (the founders, and the added organisations that joined it).
ORG_NAMES=()
FOUNDERS=()
MEMBERS=()
ORDERER_ORGS=()   # organisations that run a Raft orderer
CLUSTERS=()
declare -A O_MSP O_CLUSTER O_PEER O_CC O_PEEROPS O_CA O_CAOPS O_CCS O_ORD O_ORDADM O_ORDOPS O_HOME
parse_org() { # file, then the columns of one line of orgs.conf
  local file=$1 name=$2 msp=$3 cl=$4 pp=$5 cc=$6 po=$7 ca=$8 cao=$9 ccs=${10:-} ord=${11:-} ordadm=${12:-} ordops=${13:-}
  [[ -n "$ccs" ]] || die "$file: $name has no chaincode port (see the header of orgs.conf for the columns)"
  ORG_NAMES+=("$name")
  O_MSP[$name]=$msp; O_CLUSTER[$name]=$cl; O_PEER[$name]=$((pp + PORT_OFFSET)); O_CC[$name]=$((cc + PORT_OFFSET))
  O_PEEROPS[$name]=$((po + PORT_OFFSET)); O_CA[$name]=$((ca + PORT_OFFSET)); O_CAOPS[$name]=$((cao + PORT_OFFSET))
  O_CCS[$name]=$((ccs + PORT_OFFSET))
  if [[ -n "$ord" && "$ord" != - ]]; then
    ORDERER_ORGS+=("$name")
    O_ORD[$name]=$((ord + PORT_OFFSET)); O_ORDADM[$name]=$((ordadm + PORT_OFFSET)); O_ORDOPS[$name]=$((ordops + PORT_OFFSET))
  fi
  [[ " ${CLUSTERS[*]} " == *" $cl "* ]] || CLUSTERS+=("$cl")
}
load_orgs() {
  [[ -f "$ORGS_FILE" ]] || die "no $ORGS_FILE"
  local line f o
  while read -r line; do
    [[ -z "$line" || "$line" == \#* ]] && continue
    # shellcheck disable=SC2086
    parse_org "$ORGS_FILE" $line
  done <"$ORGS_FILE"
  FOUNDERS=("${ORG_NAMES[@]}")
  (( ${#ORG_NAMES[@]} )) || die "no organisation in $ORGS_FILE"
  (( ${#ORDERER_ORGS[@]} )) || die "no organisation in $ORGS_FILE runs an orderer"
  MEMBERS=("${FOUNDERS[@]}")
  for f in "$ADDED"/*/org.conf; do
    [[ -f "$f" ]] || continue
    # shellcheck disable=SC2046
    parse_org "$f" $(grep -v '^#' "$f")
    o=${ORG_NAMES[-1]}; O_HOME[$o]=$(dirname "$f")
    [[ -f "${O_HOME[$o]}/joined" ]] && MEMBERS+=("$o")
  done
  return 0
}
# An organisation added to the running network keeps everything in a folder of its own, as its own
# host would: $ADDED/<org>/{org.conf,crypto,ca.<org>,peer0.<org>,chaincode}; a founder's is $NET.
org_home() { echo "${O_HOME[$1]:-$NET}"; }
org_dir() { echo "$(org_home "$1")/crypto/peerOrganizations/$1.$DOMAIN"; }
nodes_dir() { echo "$(org_home "$1")/crypto/nodes"; }
cc_dir() { echo "$(org_home "$1")/chaincode/$1"; }
peer_host() { echo "peer0.$1.$DOMAIN"; }
ca_host() { echo "ca.$1.$DOMAIN"; }
cc_host() { echo "chaincode.$1.$DOMAIN"; }
orderer_host() { echo "orderer0.$1.$DOMAIN"; }
org_ca_cert() { ls "$(org_dir "$1")"/ca/*-cert.pem; }
org_tlsca_cert() { ls "$(org_dir "$1")"/tlsca/*-cert.pem; }
# the orderer an organisation's admin sends to: its own, else the first organisation's
orderer_of() { if [[ -n "${O_ORD[$1]:-}" ]]; then echo "$1"; else echo "${ORDERER_ORGS[0]}"; fi; }

# ---- hosts -------------------------------------------------------------------------------
# A host is an organisation (its peer, CA and chaincode server) or an orderer ("orderer0.<org>").
# loopback: every host is 127.0.0.1 and processes dial 127.0.0.1. netns: every host is a network
# namespace with one address of NINETEN_NETNS_SUBNET, and processes dial each other by host name.
HOSTS=loopback
HOST_NAMES=()
declare -A H_IP H_CLUSTER
set_mode() { # the mode recorded by the first `up` wins over NINETEN_HOSTS, except for `up` itself
  local recorded=""
  [[ -f "$NET/hosts" ]] && recorded=$(cat "$NET/hosts")
  HOSTS=${recorded:-${NINETEN_HOSTS:-loopback}}
  if [[ "${1:-}" == up && -n "${NINETEN_HOSTS:-}" && -n "$recorded" && "$NINETEN_HOSTS" != "$recorded" ]]; then
    die "the network in $NET runs with NINETEN_HOSTS=$recorded; purge it before bringing it up with NINETEN_HOSTS=$NINETEN_HOSTS"
  fi
  [[ "$HOSTS" == loopback || "$HOSTS" == netns ]] || die "NINETEN_HOSTS must be loopback or netns, not '$HOSTS'"
}
assign_hosts() {
  local o h i=2 a b c d len
  HOST_NAMES=()   # the founders, the orderers, then the added organisations (an address each, in order)
  for o in "${FOUNDERS[@]}"; do HOST_NAMES+=("$o"); H_CLUSTER[$o]=${O_CLUSTER[$o]}; done
  for o in "${ORDERER_ORGS[@]}"; do HOST_NAMES+=("orderer0.$o"); H_CLUSTER[orderer0.$o]=${O_CLUSTER[$o]}; done
  for o in "${ORG_NAMES[@]:${#FOUNDERS[@]}}"; do HOST_NAMES+=("$o"); H_CLUSTER[$o]=${O_CLUSTER[$o]}; done
  if [[ "$HOSTS" == loopback ]]; then
    for h in "${HOST_NAMES[@]}"; do H_IP[$h]=127.0.0.1; done
    CLIENT_IP=127.0.0.1
    return
  fi
  # a /27 of the documentation range 198.51.100.0/24 (TEST-NET-2, never routed outside this
  # machine), chosen by the port offset; `up` refuses one that overlaps a route of the machine
  SUBNET=${NINETEN_NETNS_SUBNET:-198.51.100.$(( PORT_OFFSET / 1000 % 8 * 32 ))/27}
  IFS=./ read -r a b c d len <<<"$SUBNET"
  (( ${#HOST_NAMES[@]} + 2 < (1 << (32 - len)) )) || die "NINETEN_NETNS_SUBNET $SUBNET has too few addresses for ${#HOST_NAMES[@]} hosts"
  SUBNET_LEN=$len
  CLIENT_IP=$a.$b.$c.$((d + 1))
  for h in "${HOST_NAMES[@]}"; do H_IP[$h]=$a.$b.$c.$((d + i)); i=$((i + 1)); done
}
ns_of() { echo "$NSP-$1"; }
# run_on HOST cmd...: run a command on a host (in its namespace)
run_on() {
  local h=$1; shift
  if [[ "$HOSTS" == netns ]]; then ip netns exec "$(ns_of "$h")" "$@"; else "$@"; fi
}
# dial NAME HOST: how processes on the network reach a host
dial() { if [[ "$HOSTS" == netns ]]; then echo "$1"; else echo 127.0.0.1; fi; }
cluster_index() { local j; for j in "${!CLUSTERS[@]}"; do [[ "${CLUSTERS[$j]}" == "$1" ]] && { echo "$j"; return 0; }; done; return 1; }

netns_refused() { # the one line a machine without network namespaces gets; exit 3
  trap - EXIT
  netns_down >/dev/null 2>&1 || true
  echo "network: NINETEN_HOSTS=netns needs Linux network namespaces, and this machine cannot create them: $1" >&2
  exit 3
}
# Bridges in $BRNS: one per cluster (br<j>), joined to a core bridge by an uplink (core<j> is the
# core end: `partition` takes it down); every host's eth0 is a veth into its cluster's bridge; the
# machine's own namespace joins the core through $NSP-c with CLIENT_IP, so clients here reach all.
netns_up() {
  command -v ip >/dev/null || netns_refused "the ip command (iproute2) is missing"
  local err j
  if [[ ! -e /run/netns/$BRNS ]]; then
    err=$(ip netns add "$BRNS" 2>&1) || netns_refused "${err%%$'\n'*}"
    local route
    # a route inside the subnet, or one holding it (the machine's own network), but the default
    route=$( { ip -4 route show root "$SUBNET"; ip -4 route show match "$SUBNET"; } 2>/dev/null | grep -v '^default' | head -1 || true)
    [[ -z "$route" ]] || { ip netns del "$BRNS"; die "the subnet $SUBNET is already routed here ($route); set NINETEN_NETNS_SUBNET or another NINETEN_PORT_OFFSET"; }
    ip -n "$BRNS" link set lo up
    ip -n "$BRNS" link add core type bridge
    ip -n "$BRNS" link set core up
    for j in "${!CLUSTERS[@]}"; do
      ip -n "$BRNS" link add "br$j" type bridge
      ip -n "$BRNS" link add "up$j" type veth peer name "core$j"
      ip -n "$BRNS" link set "up$j" master "br$j"
      ip -n "$BRNS" link set "core$j" master core
      ip -n "$BRNS" link set "br$j" up; ip -n "$BRNS" link set "up$j" up; ip -n "$BRNS" link set "core$j" up
    done
    ip link add "$NSP-c" type veth peer name client netns "$BRNS"
    ip -n "$BRNS" link set client master core
    ip -n "$BRNS" link set client up
    ip addr add "$CLIENT_IP/$SUBNET_LEN" dev "$NSP-c"
    ip link set "$NSP-c" up
  fi
  netns_hosts
}
netns_hosts() { # a namespace for every host that has none yet; every host's hosts file written again
  local h i=0 ns                  # (in place: the processes that mounted it see the new names)
  for h in "${HOST_NAMES[@]}"; do
    i=$((i + 1)); ns=$(ns_of "$h")
    mkdir -p "/etc/netns/$ns"
    hosts_file >"/etc/netns/$ns/hosts"   # `ip netns exec` mounts it over /etc/hosts
    [[ -e /run/netns/$ns ]] && continue
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add eth0 netns "$ns" type veth peer name "h$i" netns "$BRNS"
    ip -n "$BRNS" link set "h$i" master "br$(cluster_index "${H_CLUSTER[$h]}")"
    ip -n "$BRNS" link set "h$i" up
    ip -n "$ns" addr add "${H_IP[$h]}/$SUBNET_LEN" dev eth0
    ip -n "$ns" link set eth0 up
  done
}
hosts_file() {
  local o
  echo "127.0.0.1 localhost"
  for o in "${ORG_NAMES[@]}"; do echo "${H_IP[$o]} $(peer_host "$o") $(ca_host "$o") $(cc_host "$o")"; done
  for o in "${ORDERER_ORGS[@]}"; do echo "${H_IP[orderer0.$o]} $(orderer_host "$o")"; done
}
# every namespace, link and hosts file of this network (whatever the mode: they may be left over)
netns_down() {
  command -v ip >/dev/null || return 0
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    [[ "$ns" == "$NSP"-* ]] && ip netns del "$ns"
  done
  ip link del "$NSP-c" 2>/dev/null || true
  rm -rf /etc/netns/"$NSP"-*
  rmdir /etc/netns 2>/dev/null || true
}

# ---- processes -----------------------------------------------------------------------------
# every process: name -> host, port, health url, binary
declare -A P_HOST P_PORT P_HEALTH P_BIN
register_procs() {
  local o h
  for o in "${ORDERER_ORGS[@]}"; do
    h=orderer0.$o
    P_HOST[$h]=$h; P_PORT[$h]=${O_ORD[$o]}; P_HEALTH[$h]="http://${H_IP[$h]}:${O_ORDOPS[$o]}/healthz"; P_BIN[$h]=orderer
  done
  deployed_read
  for o in "${ORG_NAMES[@]}"; do
    P_HOST[ca.$o]=$o; P_PORT[ca.$o]=${O_CA[$o]}; P_HEALTH[ca.$o]="http://${H_IP[$o]}:${O_CAOPS[$o]}/healthz"; P_BIN[ca.$o]=fabric-ca-server
    P_HOST[peer0.$o]=$o; P_PORT[peer0.$o]=${O_PEER[$o]}; P_HEALTH[peer0.$o]="http://${H_IP[$o]}:${O_PEEROPS[$o]}/healthz"; P_BIN[peer0.$o]=peer
    register_chaincode "chaincode.$o" "$o" "$DEP_SLOT"
  done
  if [[ -f "$CCDIR/prepared" ]]; then for o in "${MEMBERS[@]}"; do register_chaincode "chaincode-next.$o" "$o" $((1 - DEP_SLOT)); done; fi
  return 0
}
register_chaincode() { # name org slot
  P_HOST[$1]=$2; P_PORT[$1]=$(( ${O_CCS[$2]} + $3 )); P_HEALTH[$1]=tcp; P_BIN[$1]=python
}
proc_names() {
  local o
  for o in "${ORDERER_ORGS[@]}"; do echo "orderer0.$o"; done
  for o in "${ORG_NAMES[@]}"; do echo "ca.$o"; done
  for o in "${ORG_NAMES[@]}"; do echo "peer0.$o"; done
  for o in "${ORG_NAMES[@]}"; do echo "chaincode.$o"; done
  if [[ -f "$CCDIR/prepared" ]]; then for o in "${MEMBERS[@]}"; do echo "chaincode-next.$o"; done; fi
  return 0
}
pid_of() { # prints the pid if the process recorded for $1 is alive and is what we started
  local f=$PIDS/$1.pid pid
  [[ -f "$f" ]] || return 1
  pid=$(cat "$f")
  [[ -n "$pid" && -d /proc/$pid ]] || return 1
  tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | grep -q -- "${P_BIN[$1]}" || return 1
  echo "$pid"
}
port_busy() { run_on "${P_HOST[$1]}" ss -Hltn "sport = :${P_PORT[$1]}" 2>/dev/null | grep -q .; }
port_holder() { run_on "${P_HOST[$1]}" ss -Hltnp "sport = :${P_PORT[$1]}" 2>/dev/null | grep -o 'users:.*' | head -1; }
# Processes of this network that no pid file records (left by a run that was killed before `down`, or
# whose runtime dir was deleted under them): every process this script starts runs in a working dir
# inside $NET, so a Fabric binary or chaincode server whose cwd is there is ours; so is a program
# that lives in $NET (a chaincode server deployed beside ours, e.g. bench/anchor-go/deploy.sh).
stray_pids() {
  local p pid cwd recorded=" " n
  for n in $(proc_names); do recorded+="$(pid_of "$n" || true) "; done
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
    [[ "$cwd" == "$NET"/* ]] || continue
    [[ "$recorded" == *" $pid "* ]] && continue
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qE "^$BIN/(orderer|peer|fabric-ca-server) |-m chaincode serve |^$NET/" && echo "$pid"
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
    (exec 3<>"/dev/tcp/${H_IP[${P_HOST[$1]}]}/${P_PORT[$1]}") 2>/dev/null && { echo ok; return; }
    echo down; return
  fi
  out=$(curl -s --max-time 3 "$url" 2>/dev/null) || { echo down; return; }
  if echo "$out" | grep -q '"status":"OK"'; then echo ok; else echo "unhealthy: $out"; fi
}
start_proc() { # name workdir cmd... (env already exported by caller in a subshell)
  local name=$1 wd=$2; shift 2
  mkdir -p "$PIDS" "$LOGS" "$wd"
  if pid_of "$name" >/dev/null; then say "$name already running"; return 0; fi
  if port_busy "$name"; then
    die "port ${P_PORT[$name]} for $name is held by a process of no network in $NET ($(port_holder "$name")); stop it or choose NINETEN_PORT_OFFSET"
  fi
  local on=()
  [[ "$HOSTS" == netns ]] && on=(ip netns exec "$(ns_of "${P_HOST[$name]}")")
  (cd "$wd" && exec "${on[@]}" setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null) &
  echo $! >"$PIDS/$name.pid"
}
wait_healthy() { # name timeout
  local name=$1 t=${2:-60} i
  for ((i = 0; i < t * 4; i++)); do
    if [[ "$(health "$name")" == ok ]]; then return 0; fi
    if ! pid_of "$name" >/dev/null; then
      tail -20 "$LOGS/$name.log" >&2; die "$name exited (log: $LOGS/$name.log)"
    fi
    sleep 0.25
  done
  tail -20 "$LOGS/$name.log" >&2; die "$name not healthy after ${t}s (log: $LOGS/$name.log)"
}
stop_pids() { # signal name:pid...: signal each, wait up to 10 s, then KILL what is left
  local sig=$1 e i alive; shift
  for e in "$@"; do kill "-$sig" "${e#*:}" 2>/dev/null || true; done
  for i in $(seq 1 40); do
    alive=0
    for e in "$@"; do [[ -d /proc/${e#*:} ]] && alive=1; done
    (( alive )) || break
    sleep 0.25
  done
  for e in "$@"; do
    if [[ -d /proc/${e#*:} ]]; then say "${e%%:*} did not stop on $sig, killing"; kill -KILL "${e#*:}" 2>/dev/null || true; fi
    rm -f "$PIDS/${e%%:*}.pid"
  done
}

# each_org FUNCTION [ARGS...] -- ORG...: "FUNCTION ORG ARGS..." for every ORG at once (each org's
# step touches only its own CA, peer or orderer); fails when one of them failed
each_org() {
  local fn=$1 args=() o pids=() failed=0 pid; shift
  while [[ "$1" != -- ]]; do args+=("$1"); shift; done
  shift
  for o in "$@"; do "$fn" "$o" "${args[@]}" & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  return "$failed"
}

need_bins() {
  local b
  for b in peer orderer configtxgen cryptogen osnadmin fabric-ca-server fabric-ca-client; do
    [[ -x "$BIN/$b" ]] || die "$BIN/$b missing: run network/build.sh first"
  done
  [[ -x "$FABRIC_HOME/builders/ccaas/bin/detect" ]] || die "ccaas builder missing: run network/build.sh"
  [[ -f "$FABRIC_HOME/config/core.yaml" ]] || die "$FABRIC_HOME/config/core.yaml missing: run network/build.sh"
  command -v openssl >/dev/null || die "openssl is missing (it makes the enrollment secrets)"
}

# ---- material --------------------------------------------------------------------------------
sans() { # host -> the SANs of a certificate of a process on it
  if [[ "$HOSTS" == netns ]]; then echo "localhost, 127.0.0.1, ${H_IP[$1]}"; else echo "localhost, 127.0.0.1"; fi
}
gen_crypto() { # the founders' material
  [[ -f "$CRYPTO/.done" ]] && return 0
  say "generating crypto material (cryptogen)"
  cryptogen_orgs "$CFG" "$CRYPTO" "${FOUNDERS[@]}"
  touch "$CRYPTO/.done"
}
cryptogen_orgs() { # config-dir out-dir org...: cryptogen's CAs, peer and users of the organisations
  local cfg=$1 out=$2 o; shift 2
  mkdir -p "$cfg"
  {
    echo "PeerOrgs:"
    for o in "$@"; do
      echo "  - Name: ${O_MSP[$o]%MSP}"
      echo "    Domain: $o.$DOMAIN"
      echo "    EnableNodeOUs: true"
      echo "    CA:"
      echo "      Hostname: ca"
      echo "    Template:"
      echo "      Count: 1"
      echo "      SANS: [$(sans "$o")]"
      echo "    Users:"
      echo "      Count: 1"
    done
  } >"$cfg/crypto-config.yaml"
  rm -rf "$out"
  "$BIN/cryptogen" generate --config="$cfg/crypto-config.yaml" --output="$out" >/dev/null
}

# fabric-ca-client against one of an organisation's CAs (ca-<org>: identities, tlsca-<org>: TLS)
ca_client() { # org caname home args...
  local o=$1 caname=$2 home=$3; shift 3
  run_on "$o" "$BIN/fabric-ca-client" "$@" --caname "$caname" --tls.certfiles "$(org_ca_cert "$o")" -H "$home" \
    >>"$LOGS/enroll.$o.log" 2>&1
}
ca_url() { echo "https://$1@$(dial "$(ca_host "$2")"):${O_CA[$2]}"; }
# enroll_at ORG CANAME ID TYPE OUT [HOSTS]: register ID at the CA and enroll it into the MSP folder
# OUT; with HOSTS, a TLS certificate (profile tls) for those names and addresses.
enroll_at() {
  local o=$1 caname=$2 id=$3 type=$4 out=$5 hosts=${6:-} secret
  local reg; reg=$(nodes_dir "$o")/.registrar/$caname
  secret=$(openssl rand -hex 16)
  if [[ ! -f $reg/msp/signcerts/cert.pem ]]; then
    ca_client "$o" "$caname" "$reg" enroll -u "$(ca_url "$CA_ADMIN:$CA_ADMIN_PW" "$o")" \
      || { tail -5 "$LOGS/enroll.$o.log" >&2; die "the registrar cannot log in at $caname"; }
  fi
  ca_client "$o" "$caname" "$reg" register --id.name "$id" --id.secret "$secret" --id.type "$type" \
    || ca_client "$o" "$caname" "$reg" identity modify "$id" --secret "$secret" \
    || { tail -5 "$LOGS/enroll.$o.log" >&2; die "cannot register $id at $caname"; }
  local args=(enroll -u "$(ca_url "$id:$secret" "$o")" -M "$out")
  [[ -n "$hosts" ]] && args+=(--enrollment.profile tls --csr.hosts "$hosts")
  rm -rf "$out"
  ca_client "$o" "$caname" "$(nodes_dir "$o")/.client/$caname/$id" "${args[@]}" \
    || { tail -5 "$LOGS/enroll.$o.log" >&2; die "cannot enroll $id at $caname"; }
}
tls_files() { # enrolled-msp-dir out-dir org [prefix]: server.crt/key (or client.*) and ca.crt
  local src=$1 out=$2 o=$3 p=${4:-server}
  mkdir -p "$out"
  cp "$src/signcerts/cert.pem" "$out/$p.crt"
  cp "$src"/keystore/*_sk "$out/$p.key"
  cp "$(org_tlsca_cert "$o")" "$out/ca.crt"
}
# Each orderer's identity (OU orderer, from ca-<org>) and TLS certificate (from tlsca-<org>); each
# chaincode server's TLS certificate and the client certificate its peer presents to it. The
# organisations enroll at once, each at its own CA.
enroll_nodes() {
  [[ -f "$NODES/.done" ]] && return 0
  each_org enroll_org -- "${FOUNDERS[@]}" || die "enrolling the nodes failed (logs: $LOGS/enroll.*.log)"
  rm -rf "$NODES/.enrolled"
  touch "$NODES/.done"
}
enroll_org() {
  local o=$1 name od nd tmp
  od=$(org_dir "$o"); nd=$(nodes_dir "$o"); tmp=$nd/.enrolled
  say "enrolling the nodes of $o at its CA"
  name=$(cc_host "$o")
  enroll_at "$o" "tlsca-$o" "$name" client "$tmp/$name" "$name,localhost,127.0.0.1,${H_IP[$o]}"
  tls_files "$tmp/$name" "$nd/$name/tls" "$o"
  enroll_at "$o" "tlsca-$o" "$(peer_host "$o").chaincode-client" client "$tmp/$name.client" "$(peer_host "$o")"
  tls_files "$tmp/$name.client" "$nd/$name/tls" "$o" client
  [[ -n "${O_ORD[$o]:-}" ]] || return 0
  name=$(orderer_host "$o")
  enroll_at "$o" "ca-$o" "$name" orderer "$tmp/$name.msp"
  mkdir -p "$nd/$name/msp"/{signcerts,keystore,cacerts,tlscacerts}
  cp "$tmp/$name.msp/signcerts/cert.pem" "$nd/$name/msp/signcerts/"
  cp "$tmp/$name.msp"/keystore/*_sk "$nd/$name/msp/keystore/"
  cp "$od"/msp/cacerts/* "$nd/$name/msp/cacerts/"
  cp "$od"/msp/tlscacerts/* "$nd/$name/msp/tlscacerts/"
  cp "$od/msp/config.yaml" "$nd/$name/msp/config.yaml"
  enroll_at "$o" "tlsca-$o" "$name" orderer "$tmp/$name.tls" "$name,localhost,127.0.0.1,${H_IP[orderer0.$o]}"
  tls_files "$tmp/$name.tls" "$nd/$name/tls" "$o"
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

  local o orderer_principals=()
  for o in "${ORDERER_ORGS[@]}"; do orderer_principals+=("'${O_MSP[$o]}.orderer'"); done
  {
    echo "# generated by network/network.sh"
    echo "Organizations:"
    # Each organisation in the Application group (the policies admin/fabric/configtx.py gives an
    # organisation the channel admits later: a test binds the two), and each orderer organisation
    # again in the Orderer group, where its Writers include its orderers: an orderer signs the
    # configuration it makes of a channel update, and the orderers check it against
    # /Channel/Writers (without that no channel update can pass).
    for o in "${FOUNDERS[@]}"; do
      org_entry "$o" "$o" "'${O_MSP[$o]}.admin', '${O_MSP[$o]}.client'"
      echo "    AnchorPeers:"
      echo "      - {Host: $(dial "$(peer_host "$o")"), Port: ${O_PEER[$o]}}"
    done
    for o in "${ORDERER_ORGS[@]}"; do
      org_entry "$o" "$o-orderer" "'${O_MSP[$o]}.admin', '${O_MSP[$o]}.client', '${O_MSP[$o]}.orderer'"
      echo "    OrdererEndpoints: [\"$(dial "$(orderer_host "$o")"):${O_ORD[$o]}\"]"
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
    # Fabric's defaults, written out: a follower that hears no leader for ElectionTick ticks
    # (5 s) starts an election
    Options: {TickInterval: 500ms, ElectionTick: 10, HeartbeatTick: 1, MaxInflightBlocks: 5, SnapshotIntervalSize: 16 MB}
    Consenters:
EOF
    for o in "${ORDERER_ORGS[@]}"; do
      cat <<EOF
      - Host: $(dial "$(orderer_host "$o")")
        Port: ${O_ORD[$o]}
        ClientTLSCert: $NODES/$(orderer_host "$o")/tls/server.crt
        ServerTLSCert: $NODES/$(orderer_host "$o")/tls/server.crt
EOF
    done
    cat <<EOF
  Organizations:
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    # a block counts when one of the consenters (an identity with the orderer OU) signed it
    BlockValidation: {Type: Signature, Rule: "OR($(IFS=,; echo "${orderer_principals[*]}"))"}
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
      Organizations: [$(printf '*%s-orderer, ' "${ORDERER_ORGS[@]}" | sed 's/, $//')]
    Application:
      <<: *ApplicationDefaults
      Organizations: [$(printf '*%s, ' "${FOUNDERS[@]}" | sed 's/, $//')]
EOF
  } >"$CFG/configtx.yaml"
}

org_entry() { # org anchor writers: an organisation of configtx.yaml, its Writers any of the principals given
  local m=${O_MSP[$1]}
  cat <<EOF
  - &$2
    Name: $m
    ID: $m
    MSPDir: $(org_dir "$1")/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('$m.admin', '$m.peer', '$m.client', '$m.orderer')"}
      Writers: {Type: Signature, Rule: "OR($3)"}
      Admins: {Type: Signature, Rule: "OR('$m.admin')"}
      Endorsement: {Type: Signature, Rule: "OR('$m.peer')"}
EOF
}

# ---- environment for the nodes and the admin CLI -------------------------------------------------
all_tls_cas() { local o cas=(); for o in "${ORG_NAMES[@]}"; do cas+=("$(org_tlsca_cert "$o")"); done; (IFS=,; echo "[${cas[*]}]"); }
orderer_env() {
  local o=$1 d; d=$NODES/$(orderer_host "$o")
  local ip=${H_IP[orderer0.$o]} tls=$d/tls
  export FABRIC_CFG_PATH=$CFG FABRIC_LOGGING_SPEC=${NINETEN_ORDERER_LOGGING:-INFO}
  export ORDERER_GENERAL_LISTENADDRESS=$ip ORDERER_GENERAL_LISTENPORT=${O_ORD[$o]}
  export ORDERER_GENERAL_LOCALMSPID=${O_MSP[$o]} ORDERER_GENERAL_LOCALMSPDIR=$d/msp
  export ORDERER_GENERAL_TLS_ENABLED=true ORDERER_GENERAL_TLS_PRIVATEKEY=$tls/server.key
  export ORDERER_GENERAL_TLS_CERTIFICATE=$tls/server.crt ORDERER_GENERAL_TLS_ROOTCAS="$(all_tls_cas)"
  export ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE=$tls/server.crt ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY=$tls/server.key
  export ORDERER_GENERAL_CLUSTER_ROOTCAS="$(all_tls_cas)"
  export ORDERER_GENERAL_BOOTSTRAPMETHOD=none ORDERER_CHANNELPARTICIPATION_ENABLED=true
  export ORDERER_ADMIN_LISTENADDRESS=$ip:${O_ORDADM[$o]} ORDERER_ADMIN_TLS_ENABLED=true
  export ORDERER_ADMIN_TLS_CERTIFICATE=$tls/server.crt ORDERER_ADMIN_TLS_PRIVATEKEY=$tls/server.key
  export ORDERER_ADMIN_TLS_ROOTCAS="[$tls/ca.crt]" ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true
  export ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$tls/ca.crt]"   # the org's admins (TLS client certificates)
  export ORDERER_OPERATIONS_LISTENADDRESS=$ip:${O_ORDOPS[$o]}
  export ORDERER_FILELEDGER_LOCATION=$NET/orderer0.$o/ledger
  export ORDERER_CONSENSUS_WALDIR=$NET/orderer0.$o/etcdraft/wal ORDERER_CONSENSUS_SNAPDIR=$NET/orderer0.$o/etcdraft/snapshot
  export ORDERER_METRICS_PROVIDER=prometheus
}
peer_env() { # org: the peer node's own environment
  local o=$1 od; od=$(org_dir "$o")
  local pd=$od/peers/$(peer_host "$o") ip=${H_IP[$o]} addr
  addr=$(dial "$(peer_host "$o")"):${O_PEER[$o]}
  export FABRIC_CFG_PATH=$CFG FABRIC_LOGGING_SPEC=${NINETEN_PEER_LOGGING:-INFO}
  export CORE_PEER_ID=$(peer_host "$o") CORE_PEER_LOCALMSPID=${O_MSP[$o]} CORE_PEER_MSPCONFIGPATH=$pd/msp
  export CORE_PEER_LISTENADDRESS=$ip:${O_PEER[$o]} CORE_PEER_ADDRESS=$addr
  export CORE_PEER_CHAINCODELISTENADDRESS=$ip:${O_CC[$o]} CORE_PEER_CHAINCODEADDRESS=$ip:${O_CC[$o]}
  export CORE_PEER_GOSSIP_BOOTSTRAP=$addr CORE_PEER_GOSSIP_EXTERNALENDPOINT=$addr CORE_PEER_GOSSIP_ENDPOINT=$addr
  export CORE_PEER_TLS_ENABLED=true CORE_PEER_TLS_CERT_FILE=$pd/tls/server.crt CORE_PEER_TLS_KEY_FILE=$pd/tls/server.key
  export CORE_PEER_TLS_ROOTCERT_FILE=$pd/tls/ca.crt
  export CORE_PEER_FILESYSTEMPATH=$(org_home "$o")/peer0.$o/data CORE_LEDGER_SNAPSHOTS_ROOTDIR=$(org_home "$o")/peer0.$o/snapshots
  export CORE_OPERATIONS_LISTENADDRESS=$ip:${O_PEEROPS[$o]} CORE_METRICS_PROVIDER=prometheus
  # A month's settlement (20,000 payouts in one transaction) takes about a minute to endorse.
  export CORE_PEER_PROFILE_ENABLED=false CORE_CHAINCODE_EXECUTETIMEOUT=300s CORE_PEER_GATEWAY_ENDORSEMENTTIMEOUT=300s
}
admin_env() { # org: the peer CLI acting as the org's admin against its peer, on the org's host
  local o=$1 od; od=$(org_dir "$o")
  export FABRIC_CFG_PATH=$CFG FABRIC_LOGGING_SPEC=WARNING
  export CORE_PEER_LOCALMSPID=${O_MSP[$o]} CORE_PEER_MSPCONFIGPATH=$od/users/Admin@$o.$DOMAIN/msp
  export CORE_PEER_ADDRESS=$(dial "$(peer_host "$o")"):${O_PEER[$o]} CORE_PEER_TLS_ENABLED=true
  export CORE_PEER_TLS_ROOTCERT_FILE=$od/peers/$(peer_host "$o")/tls/ca.crt
}
orderer_args() { # org: the peer CLI's orderer options for the org's admin
  local oo; oo=$(orderer_of "$1")
  echo "-o $(dial "$(orderer_host "$oo")"):${O_ORD[$oo]} --ordererTLSHostnameOverride $(orderer_host "$oo") --tls --cafile $(org_tlsca_cert "$oo")"
}
peer_cli() { # org args...: the org admin's peer CLI, on the org's host
  local o=$1; shift
  ( admin_env "$o"; run_on "$o" "$BIN/peer" "$@" )
}

# ---- start -----------------------------------------------------------------------------------------
start_orderer() {
  local o=$1
  mkdir -p "$NET/orderer0.$o"
  ( orderer_env "$o"; start_proc "orderer0.$o" "$NET/orderer0.$o" "$BIN/orderer" )
}
start_ca() {
  local o=$1 od; od=$(org_dir "$o")
  local home; home=$(org_home "$o")/ca.$o
  mkdir -p "$home/tlsca"
  # the org's TLS CA, served by the same server (--cafiles): it issues the orderers' and the
  # chaincode servers' TLS certificates from cryptogen's tlsca, as it did the peers'
  cat >"$home/tlsca/fabric-ca-server-config.yaml" <<EOF
ca: {name: tlsca-$o, certfile: $(org_tlsca_cert "$o"), keyfile: $(ls "$od"/tlsca/*_sk)}
registry:
  maxenrollments: -1
  identities:
    - name: $CA_ADMIN
      pass: $CA_ADMIN_PW
      type: client
      affiliation: ""
      attrs: {hf.Registrar.Roles: "*", hf.Registrar.DelegateRoles: "*", hf.Revoker: true, hf.Registrar.Attributes: "*", hf.AffiliationMgr: true, hf.GenCRL: true}
EOF
  (
    export FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS=${H_IP[$o]}:${O_CAOPS[$o]}
    export FABRIC_CA_SERVER_METRICS_PROVIDER=prometheus
    start_proc "ca.$o" "$home" "$BIN/fabric-ca-server" start --home "$home" \
      -b "$CA_ADMIN:$CA_ADMIN_PW" --address "${H_IP[$o]}" --port "${O_CA[$o]}" --ca.name "ca-$o" \
      --ca.certfile "$(org_ca_cert "$o")" --ca.keyfile "$(ls "$od"/ca/*_sk)" --tls.enabled \
      --csr.hosts "localhost,127.0.0.1,$(ca_host "$o"),${H_IP[$o]}" --csr.cn "$(ca_host "$o")" \
      --cafiles "$home/tlsca/fabric-ca-server-config.yaml"
  )
}
start_peer() {
  local o=$1
  local home; home=$(org_home "$o")/peer0.$o
  mkdir -p "$home"
  ( peer_env "$o"; start_proc "peer0.$o" "$home" "$BIN/peer" node start )
}
start_chaincode() { # org [process-name label slot]: the org's server of the deployed version
  local o=$1 name=${2:-chaincode.$1} label=${3:-$DEP_LABEL} slot=${4:-$DEP_SLOT}
  local ccid tls; ccid=$(cat "$(cc_dir "$o")/$label/package_id"); tls=$(nodes_dir "$o")/$(cc_host "$o")/tls
  # runs in the org's chaincode folder (see stray_pids), importing this checkout's code; only the org's peer
  # (its client certificate from the org's TLS CA) may connect
  PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH} start_proc "$name" "$(cc_dir "$o")" "$PY" -m chaincode serve \
    --address "${H_IP[$o]}:$(( ${O_CCS[$o]} + slot ))" --ccid "$ccid" \
    --tls-cert "$tls/server.crt" --tls-key "$tls/server.key" --tls-client-ca "$tls/ca.crt"
}
start_named() { # process name -> its start function
  case "$1" in
    orderer0.*) start_orderer "${1#orderer0.}" ;;
    ca.*) start_ca "${1#ca.}" ;;
    peer0.*) start_peer "${1#peer0.}" ;;
    chaincode.*) start_chaincode "${1#chaincode.}" ;;
    chaincode-next.*) local label seq slot; read -r label seq slot <"$CCDIR/prepared"
                      start_chaincode "${1#chaincode-next.}" "$1" "$label" "$slot" ;;
  esac
}

# ---- channel and chaincode -----------------------------------------------------------------------
osn() { # org args...: osnadmin as the org's admin against its orderer, on the org's host
  local o=$1 od; shift; od=$(org_dir "$o")
  local adm=$od/users/Admin@$o.$DOMAIN/tls
  run_on "$o" "$BIN/osnadmin" channel "$1" -o "$(dial "$(orderer_host "$o")"):${O_ORDADM[$o]}" \
    --ca-file "$(org_tlsca_cert "$o")" --client-cert "$adm/client.crt" --client-key "$adm/client.key" "${@:2}"
}
create_channel() {
  mkdir -p "$NET/channel"
  local block=$NET/channel/$CHANNEL.block
  if [[ ! -f "$block" ]]; then
    FABRIC_CFG_PATH=$CFG "$BIN/configtxgen" -profile NinetenChannel -outputBlock "$block" \
      -channelID "$CHANNEL" -configPath "$CFG" >"$LOGS/configtxgen.log" 2>&1 \
      || { cat "$LOGS/configtxgen.log" >&2; die "configtxgen failed"; }
  fi
  each_org join_orderer "$block" -- "${ORDERER_ORGS[@]}" || die "an orderer could not join $CHANNEL"
  each_org join_peer "$block" -- "${MEMBERS[@]}" || die "a peer could not join $CHANNEL"
}
join_orderer() { # org block
  local o=$1 block=$2
  osn "$o" list --channelID "$CHANNEL" 2>/dev/null | grep -q '^Status: 200' && return 0
  say "orderer0.$o joins channel $CHANNEL"
  osn "$o" join --channelID "$CHANNEL" --config-block "$block" >"$LOGS/osnadmin.$o.log" 2>&1 \
    || { cat "$LOGS/osnadmin.$o.log" >&2; die "osnadmin channel join of orderer0.$o failed"; }
}
join_peer() { # org block
  local o=$1 block=$2 i
  peer_cli "$o" channel getinfo -c "$CHANNEL" >/dev/null 2>&1 && return 0
  say "peer0.$o joins channel $CHANNEL"
  for i in $(seq 1 15); do  # the orderers may still be electing their Raft leader
    if peer_cli "$o" channel join -b "$block" >"$LOGS/join.$o.log" 2>&1; then return 0; fi
    sleep 2
  done
  cat "$LOGS/join.$o.log" >&2; die "peer0.$o could not join $CHANNEL"
}

# The deployed chaincode: label (name_version), sequence, and slot (its servers listen on the
# org's chaincode port + slot; an upgrade starts the new version on the other slot).
deployed_read() {
  DEP_LABEL=${CC_NAME}_${CC_VERSION} DEP_SEQ=$CC_SEQUENCE DEP_SLOT=0
  [[ -f "$CCDIR/deployed" ]] && read -r DEP_LABEL DEP_SEQ DEP_SLOT <"$CCDIR/deployed"
  return 0
}
pem_json() { awk 'BEGIN { ORS = "" } { sub(/\r$/, ""); print $0 "\\n" }' "$1"; }
package_chaincode() { # org label slot: the org's ccaas package: where its peer dials its server, over TLS
  local o=$1 label=$2 slot=$3 d tls
  d=$(cc_dir "$o")/$label; tls=$(nodes_dir "$o")/$(cc_host "$o")/tls
  mkdir -p "$d/src"
  printf '{"address":"%s:%s","dial_timeout":"10s","tls_required":true,"client_auth_required":true,"root_cert":"%s","client_cert":"%s","client_key":"%s"}\n' \
    "$(dial "$(cc_host "$o")")" "$(( ${O_CCS[$o]} + slot ))" "$(pem_json "$tls/ca.crt")" \
    "$(pem_json "$tls/client.crt")" "$(pem_json "$tls/client.key")" >"$d/src/connection.json"
  printf '{"type":"ccaas","label":"%s"}\n' "$label" >"$d/src/metadata.json"
  # deterministic archives: the package id is label:sha256(file)
  local tarflags=(--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner)
  tar -C "$d/src" "${tarflags[@]}" -cf - connection.json | gzip -n >"$d/src/code.tar.gz"
  tar -C "$d/src" "${tarflags[@]}" -cf - metadata.json code.tar.gz | gzip -n >"$d/$label.tar.gz"
  echo "$label:$(sha256sum "$d/$label.tar.gz" | cut -d' ' -f1)" >"$d/package_id"
}
install_chaincode() { # org label
  local o=$1 ccid; ccid=$(cat "$(cc_dir "$o")/$2/package_id")
  if ! peer_cli "$o" lifecycle chaincode queryinstalled 2>/dev/null | grep -q "$ccid"; then
    say "installing $2 on peer0.$o"
    peer_cli "$o" lifecycle chaincode install "$(cc_dir "$o")/$2/$2.tar.gz" >"$LOGS/install.$o.log" 2>&1 \
      || { cat "$LOGS/install.$o.log" >&2; die "install on peer0.$o failed"; }
  fi
}
approve_chaincode() { # org label sequence
  local o=$1 label=$2 seq=$3 ccid policy=()
  ccid=$(cat "$(cc_dir "$o")/$label/package_id")
  [[ -n "$CC_POLICY" ]] && policy=(--signature-policy "$CC_POLICY")
  say "${O_MSP[$o]} approves $CC_NAME ${label#"${CC_NAME}"_} (sequence $seq)"
  # shellcheck disable=SC2046
  retry_orderer "$LOGS/approve.$o.log" peer_cli "$o" lifecycle chaincode approveformyorg $(orderer_args "$o") \
    -C "$CHANNEL" -n "$CC_NAME" -v "${label#"${CC_NAME}"_}" --package-id "$ccid" --sequence "$seq" "${policy[@]}" \
    || grep -q 'with unchanged content' "$LOGS/approve.$o.log" || { cat "$LOGS/approve.$o.log" >&2; die "approve by $o failed"; }
}
commit_chaincode() { # label sequence orgs...: commit, endorsed by the peers of the given orgs
  local label=$1 seq=$2 o peers=() policy=(); shift 2
  [[ -n "$CC_POLICY" ]] && policy=(--signature-policy "$CC_POLICY")
  for o in "$@"; do
    peers+=(--peerAddresses "$(dial "$(peer_host "$o")"):${O_PEER[$o]}"
            --tlsRootCertFiles "$(org_dir "$o")/peers/$(peer_host "$o")/tls/ca.crt")
  done
  say "committing $CC_NAME ${label#"${CC_NAME}"_} (sequence $seq) to $CHANNEL"
  # shellcheck disable=SC2046
  retry_orderer "$LOGS/commit.log" peer_cli "$1" lifecycle chaincode commit $(orderer_args "$1") \
    -C "$CHANNEL" -n "$CC_NAME" -v "${label#"${CC_NAME}"_}" --sequence "$seq" "${policy[@]}" "${peers[@]}" \
    || { cat "$LOGS/commit.log" >&2; die "chaincode commit failed"; }
}
committed_sequence() {
  peer_cli "${MEMBERS[0]}" lifecycle chaincode querycommitted -C "$CHANNEL" -n "$CC_NAME" 2>/dev/null \
    | sed -n 's/.*Sequence: \([0-9]*\),.*/\1/p'
}
deploy_chaincode() {
  [[ "$(committed_sequence)" == "$DEP_SEQ" ]] && return 0
  each_org install_chaincode "$DEP_LABEL" -- "${FOUNDERS[@]}" || die "installing $DEP_LABEL failed"
  each_org approve_chaincode "$DEP_LABEL" "$DEP_SEQ" -- "${FOUNDERS[@]}" || die "approving $DEP_LABEL failed"
  commit_chaincode "$DEP_LABEL" "$DEP_SEQ" "${FOUNDERS[@]}"
}

write_profile() {
  local f=$NET/connection.yaml o od ph
  {
    echo "# generated by network/network.sh up; schema: network/README.md"
    echo "name: nineten-local"
    echo "version: 1"
    echo "hosts: $HOSTS"
    echo "channel: $CHANNEL"
    echo "chaincode: $CC_NAME"
    echo "chaincode_version: \"${DEP_LABEL#"${CC_NAME}"_}\""
    echo "chaincode_sequence: $DEP_SEQ"
    echo "orderers:"
    for o in "${ORDERER_ORGS[@]}"; do
      echo "  - name: orderer0.$o"
      echo "    org: $o"
      echo "    msp_id: ${O_MSP[$o]}"
      echo "    cluster: ${O_CLUSTER[$o]}"
      echo "    address: ${H_IP[orderer0.$o]}:${O_ORD[$o]}"
      echo "    operations: http://${H_IP[orderer0.$o]}:${O_ORDOPS[$o]}"
      echo "    tls_ca_cert: $(org_tlsca_cert "$o")"
      echo "    ssl_target_name_override: $(orderer_host "$o")"
    done
    echo "organizations:"
    for o in "${ORG_NAMES[@]}"; do
      od=$(org_dir "$o"); ph=$(peer_host "$o")
      echo "  $o:"
      echo "    msp_id: ${O_MSP[$o]}"
      echo "    cluster: ${O_CLUSTER[$o]}"
      echo "    msp_dir: $od/msp"
      echo "    peer:"
      echo "      address: ${H_IP[$o]}:${O_PEER[$o]}"
      echo "      operations: http://${H_IP[$o]}:${O_PEEROPS[$o]}"
      echo "      tls_ca_cert: $od/peers/$ph/tls/ca.crt"
      echo "      ssl_target_name_override: $ph"
      echo "    chaincode:"
      echo "      address: ${H_IP[$o]}:${P_PORT[chaincode.$o]}"
      echo "      package_id: $(cat "$(cc_dir "$o")/$DEP_LABEL/package_id")"
      echo "    ca:"
      echo "      url: https://${H_IP[$o]}:${O_CA[$o]}"
      echo "      name: ca-$o"
      echo "      tls_ca_cert: $(org_ca_cert "$o")"   # issued the CA server's TLS certificate
      echo "      registrar: {enroll_id: $CA_ADMIN, enroll_secret: $CA_ADMIN_PW}"
      echo "    admin:"
      echo "      cert: $(ls "$od/users/Admin@$o.$DOMAIN/msp/signcerts/"*.pem)"
      echo "      key: $(ls "$od/users/Admin@$o.$DOMAIN/msp/keystore/"*_sk)"
      echo "      msp_dir: $od/users/Admin@$o.$DOMAIN/msp"
    done
  } >"$f.tmp"
  mv "$f.tmp" "$f"
}

# retry_orderer <log> cmd...: retry while the orderers have no Raft leader yet (just joined/restarted)
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

up_failed() { # the EXIT trap of `up` with namespaces: leave no process, namespace or link behind
  local rc=$?
  (( rc )) || return 0
  say "up failed: stopping its processes and removing its namespaces"
  cmd_down >/dev/null 2>&1 || true
  exit "$rc"
}

cmd_up() {
  local t0; t0=$(now)
  if [[ -f "$NET/connection.yaml" ]] && all_up; then
    say "already up ($NET/connection.yaml)"; return 0
  fi
  if [[ "$HOSTS" == netns ]]; then
    trap up_failed EXIT
    trap 'exit 130' INT TERM
    netns_up
    say "hosts: ${#HOST_NAMES[@]} network namespaces on $SUBNET (bridges in $BRNS; this machine is $CLIENT_IP)"
  fi
  need_bins
  mkdir -p "$NET" "$PIDS" "$LOGS"
  stop_strays
  echo "$HOSTS" >"$NET/hosts"
  gen_crypto
  local o n
  for o in "${ORG_NAMES[@]}"; do start_ca "$o"; done
  for o in "${ORG_NAMES[@]}"; do wait_healthy "ca.$o" 90; done
  enroll_nodes
  gen_config   # the consenters' TLS certificates exist now
  [[ -f "$CCDIR/deployed" ]] || { mkdir -p "$CCDIR"; echo "$DEP_LABEL $DEP_SEQ $DEP_SLOT" >"$CCDIR/deployed"; }
  for o in "${ORG_NAMES[@]}"; do package_chaincode "$o" "$DEP_LABEL" "$DEP_SLOT"; done
  for n in $(proc_names); do [[ "$n" == ca.* ]] || start_named "$n"; done
  for n in $(proc_names); do wait_healthy "$n" 90; done
  say "processes healthy after $(since "$t0")s"
  create_channel
  deploy_chaincode
  write_profile
  trap - EXIT INT TERM
  say "up in $(since "$t0")s; connection profile: $NET/connection.yaml"
  cmd_status
}

cmd_down() {
  local n pid stopped=()
  for n in $(proc_names); do
    if pid=$(pid_of "$n"); then stopped+=("$n:$pid"); fi
  done
  (( ${#stopped[@]} )) && stop_pids TERM "${stopped[@]}"
  stop_strays
  rm -f "$PIDS"/*.pid 2>/dev/null || true
  if [[ "$HOSTS" == loopback ]]; then
    local left=()
    for n in $(proc_names); do port_busy "$n" && left+=("$n(port ${P_PORT[$n]})"); done
    if (( ${#left[@]} )); then die "still listening after down: ${left[*]}"; fi
  fi
  netns_down
  say "down (${#stopped[@]} processes stopped; data kept in $NET)"
}

cmd_status() {
  local n pid h
  printf '%-20s %-8s %-22s %s\n' PROCESS PID ADDRESS HEALTH
  for n in $(proc_names); do
    if pid=$(pid_of "$n"); then h=$(health "$n"); else pid=-; h=stopped; fi
    printf '%-20s %-8s %-22s %s\n' "$n" "$pid" "${H_IP[${P_HOST[$n]}]}:${P_PORT[$n]}" "$h"
  done
  [[ -f "$NET/connection.yaml" ]] && echo "profile: $NET/connection.yaml (hosts: $HOSTS)"
  return 0
}

cmd_stop() { # name [signal]
  local name=$1 sig=${2:-TERM} pid
  [[ -n "${P_BIN[$name]:-}" ]] || die "no process $name (see network/network.sh status)"
  pid=$(pid_of "$name") || die "$name is not running"
  stop_pids "${sig#SIG}" "$name:$pid"
  say "$name stopped ($sig)"
}

cmd_start() { # name
  local name=$1
  [[ -n "${P_BIN[$name]:-}" ]] || die "no process $name (see network/network.sh status)"
  start_named "$name"
  wait_healthy "$name" 90
  say "$name started"
}

cmd_leader() { # the orderer whose Raft node leads the channel, from its metrics
  local o
  for o in "${ORDERER_ORGS[@]}"; do
    if curl -s --max-time 2 "http://${H_IP[orderer0.$o]}:${O_ORDOPS[$o]}/metrics" 2>/dev/null \
        | grep -qE "^consensus_etcdraft_is_leader\{channel=\"$CHANNEL\"\} 1"; then
      echo "orderer0.$o"; return 0
    fi
  done
  echo "network: no orderer leads $CHANNEL now" >&2
  return 1
}

cmd_partition() { # cluster up|down: take the cluster's uplink to the core bridge down, or up again
  [[ "$HOSTS" == netns ]] || die "partitions need the hosts of NINETEN_HOSTS=netns (this network runs on loopback)"
  local j
  j=$(cluster_index "$1") || die "no cluster $1 (clusters: ${CLUSTERS[*]})"
  [[ -e /run/netns/$BRNS ]] || die "the network's namespaces do not exist; is it up?"
  ip -n "$BRNS" link set "core$j" "$2"
  if [[ "$2" == down ]]; then say "cluster $1 cut off from the rest"; else say "cluster $1 reconnected"; fi
}

# An upgrade in two steps, so that the commit can land in the middle of a running month:
# prepare (package the new version for every org, install it, start its servers on the other slot,
# approve by the given orgs) then commit (by the channel's lifecycle policy: once a majority of
# the organisations approved; the others approve later with approve-chaincode).
cmd_prepare() { # version approving-orgs...
  local version=$1 label=${CC_NAME}_$1 o n; shift
  local approvers=("$@")
  (( ${#approvers[@]} )) || approvers=("${MEMBERS[@]}")
  for o in "${approvers[@]}"; do [[ -n "${O_MSP[$o]:-}" ]] || die "unknown organisation $o"; done
  [[ "$label" != "$DEP_LABEL" ]] || die "$CC_NAME $version is already deployed"
  [[ ! -f "$CCDIR/prepared" ]] || die "$(cut -d' ' -f1 "$CCDIR/prepared") is prepared already: commit-chaincode first"
  all_up || die "the network is not up (network/network.sh status)"
  [[ "$(committed_sequence)" == "$DEP_SEQ" ]] || die "the channel's committed sequence is not $DEP_SEQ, as $CCDIR/deployed says"
  local seq=$((DEP_SEQ + 1)) slot=$((1 - DEP_SLOT))
  for o in "${MEMBERS[@]}"; do package_chaincode "$o" "$label" "$slot"; done
  each_org install_chaincode "$label" -- "${MEMBERS[@]}" || die "installing $label failed"
  for o in "${MEMBERS[@]}"; do
    register_chaincode "chaincode-next.$o" "$o" "$slot"
    start_chaincode "$o" "chaincode-next.$o" "$label" "$slot"
  done
  for o in "${MEMBERS[@]}"; do wait_healthy "chaincode-next.$o" 60; done
  echo "$label $seq $slot" >"$CCDIR/prepared"
  each_org approve_chaincode "$label" "$seq" -- "${approvers[@]}" || die "approving $label failed"
  say "$CC_NAME $version (sequence $seq) prepared, approved by ${approvers[*]}; its servers run on the org's chaincode port + $slot"
}
cmd_commit() {
  [[ -f "$CCDIR/prepared" ]] || die "no chaincode version is prepared (prepare-chaincode VERSION first)"
  local label seq slot o n old=()
  read -r label seq slot <"$CCDIR/prepared"
  local approved=() readiness   # the peers of organisations that approved endorse the commit
  readiness=$(peer_cli "${MEMBERS[0]}" lifecycle chaincode checkcommitreadiness -C "$CHANNEL" -n "$CC_NAME" \
    -v "${label#"${CC_NAME}"_}" --sequence "$seq" 2>/dev/null) || die "cannot read the approvals of ${label#"${CC_NAME}"_}"
  for o in "${MEMBERS[@]}"; do grep -q "^${O_MSP[$o]}: true" <<<"$readiness" && approved+=("$o"); done
  (( ${#approved[@]} )) || die "no organisation approved ${label#"${CC_NAME}"_} yet"
  commit_chaincode "$label" "$seq" "${approved[@]}"
  # the peers now run the new version: its servers take the place of the old ones
  for o in "${MEMBERS[@]}"; do n=$(pid_of "chaincode.$o") && old+=("chaincode.$o:$n"); done
  (( ${#old[@]} )) && stop_pids TERM "${old[@]}"
  for o in "${MEMBERS[@]}"; do mv "$PIDS/chaincode-next.$o.pid" "$PIDS/chaincode.$o.pid"; done
  mv "$CCDIR/prepared" "$CCDIR/deployed"
  deployed_read
  for o in "${MEMBERS[@]}"; do register_chaincode "chaincode.$o" "$o" "$DEP_SLOT"; done
  write_profile
  say "$CC_NAME ${label#"${CC_NAME}"_} (sequence $seq) committed"
}
cmd_approve() { # org: approve the prepared version, else the deployed one (an org that approves late)
  local label=$DEP_LABEL seq=$DEP_SEQ slot
  [[ -f "$CCDIR/prepared" ]] && read -r label seq slot <"$CCDIR/prepared"
  approve_chaincode "$1" "$label" "$seq"
}

# ---- organisations that join and leave the running channel ----------------------------------------
# add-org prepares an organisation as its own host would (its crypto material, Fabric CA, peer and
# chaincode server, in $ADDED/<org>), without touching the channel; the consortium admits it
# (nineten consortium propose admit_node, nineten channel prepare|sign|submit); join-org then joins
# its peer and approves the chaincode definition. remove-org stops and removes it.
cmd_add_org() { # name [cluster]
  local o=$1 cluster=${2:-} line msp listed rest home t0 other
  t0=$(now)
  [[ -z "${O_MSP[$o]:-}" ]] || die "$o is already an organisation of this network (network/network.sh status)"
  [[ -f "$NET/connection.yaml" ]] && all_up || die "the network is not up (network/network.sh up first)"
  line=$(awk -v n="$o" '$1 == n' "$JOINING_FILE" 2>/dev/null)
  [[ -n "$line" ]] || die "no line for $o in $JOINING_FILE (the organisations that may join, with their ports: add one)"
  read -r _ msp listed rest <<<"$line"
  cluster=${cluster:-$listed}
  cluster_index "$cluster" >/dev/null || die "$cluster is not a cluster of this network (${CLUSTERS[*]})"
  for other in "${ORG_NAMES[@]}"; do
    [[ "${O_MSP[$other]}" != "$msp" ]] || die "$msp is already the MSP id of $other"
  done
  home=$ADDED/$o
  mkdir -p "$home"
  echo "$o $msp $cluster $rest" >"$home/org.conf"   # its own line, the columns of orgs.conf
  # shellcheck disable=SC2086
  parse_org "$home/org.conf" $o $msp $cluster $rest
  O_HOME[$o]=$home
  trap 'add_failed "$?" '"$o" EXIT
  assign_hosts
  register_procs
  [[ "$HOSTS" == netns ]] && netns_hosts
  say "preparing $o ($msp, cluster $cluster) in $home"
  cryptogen_orgs "$home" "$home/crypto" "$o"
  start_ca "$o"; wait_healthy "ca.$o" 90
  enroll_org "$o"
  package_chaincode "$o" "$DEP_LABEL" "$DEP_SLOT"
  start_peer "$o"; start_chaincode "$o"
  wait_healthy "peer0.$o" 90; wait_healthy "chaincode.$o" 60
  PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH} "$PY" -c 'from admin.cli import main; main()' channel define \
    --msp-dir "$(org_dir "$o")/msp" --msp-id "$msp" --anchor-peer "$(dial "$(peer_host "$o")"):${O_PEER[$o]}" \
    --out "$home/$o.json" || die "cannot write the definition of $o"
  write_profile
  trap - EXIT
  say "$o ready in $(since "$t0")s, not in channel $CHANNEL yet; its definition: $home/$o.json"
  say "next: the consortium admits it (README.md, \"Admitting an organisation\"), then: $0 join-org $o"
}
add_failed() { # status org: the EXIT trap of add-org: leave nothing of the organisation behind
  (( $1 )) || return 0
  say "add-org $2 failed: removing what it made"
  cmd_remove_org "$2" >/dev/null 2>&1 || true
}

cmd_join_org() { # name: its peer joins the channel the consortium admitted it to
  local o=$1 home height i t0
  t0=$(now)
  [[ -n "${O_HOME[$o]:-}" ]] || die "$o is not an organisation added with add-org"
  home=${O_HOME[$o]}
  if [[ ! -f "$home/channel/$CHANNEL.block" ]]; then
    mkdir -p "$home/channel"
    # shellcheck disable=SC2046
    peer_cli "$o" channel fetch 0 "$home/channel/$CHANNEL.block" -c "$CHANNEL" $(orderer_args "$o") \
      >"$LOGS/join.$o.log" 2>&1 || { rm -f "$home/channel/$CHANNEL.block"; cat "$LOGS/join.$o.log" >&2
      die "the orderers do not let ${O_MSP[$o]}'s admin read channel $CHANNEL: is ${O_MSP[$o]} in its configuration yet (nineten channel submit)?"; }
  fi
  join_peer "$o" "$home/channel/$CHANNEL.block"
  # the peer must hold the chaincode definition before its organisation approves it
  height=$(peer_height "${MEMBERS[0]}")
  for i in $(seq 1 120); do
    (( $(peer_height "$o") >= height )) && break
    (( i < 120 )) || die "peer0.$o did not reach the height of peer0.${MEMBERS[0]} ($height blocks) within 60s"
    sleep 0.5
  done
  install_chaincode "$o" "$DEP_LABEL"
  approve_chaincode "$o" "$DEP_LABEL" "$DEP_SEQ"
  touch "$home/joined"
  MEMBERS+=("$o")
  write_profile
  say "peer0.$o joined $CHANNEL and ${O_MSP[$o]} approved $CC_NAME ${DEP_LABEL#"${CC_NAME}"_} in $(since "$t0")s"
}
peer_height() { # org: the height of its peer's ledger of the channel (0 before it joined)
  peer_cli "$1" channel getinfo -c "$CHANNEL" 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p' | grep . || echo 0
}

cmd_remove_org() { # name: stop its processes and remove its folder (after the channel removed it)
  local o=$1 n pid stopped=() keep=() h
  [[ -n "${O_HOME[$o]:-}" ]] || die "$o is not an organisation added with add-org (the founders are in orgs.conf)"
  for n in "peer0.$o" "chaincode.$o" "chaincode-next.$o" "ca.$o"; do
    [[ -n "${P_BIN[$n]:-}" ]] && pid=$(pid_of "$n") && stopped+=("$n:$pid")
  done
  (( ${#stopped[@]} )) && stop_pids TERM "${stopped[@]}"
  rm -rf "${O_HOME[$o]}"
  for n in "${ORG_NAMES[@]}"; do [[ "$n" == "$o" ]] || keep+=("$n"); done
  ORG_NAMES=("${keep[@]}"); keep=()
  for n in "${MEMBERS[@]}"; do [[ "$n" == "$o" ]] || keep+=("$n"); done
  MEMBERS=("${keep[@]}")
  if [[ "$HOSTS" == netns ]]; then
    ip netns del "$(ns_of "$o")" 2>/dev/null || true
    rm -rf "/etc/netns/$(ns_of "$o")"
    assign_hosts
    for h in "${HOST_NAMES[@]}"; do hosts_file >"/etc/netns/$(ns_of "$h")/hosts"; done
  fi
  [[ -f "$NET/connection.yaml" ]] && write_profile
  say "$o removed (${#stopped[@]} processes stopped)"
}

load_orgs
set_mode "${1:-}"
assign_hosts
register_procs
case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) # print the peer CLI environment of an organisation's admin:  eval "$(network/network.sh env org1)"
    o=${2:-${ORG_NAMES[0]}}; [[ -n "${O_MSP[$o]:-}" ]] || die "unknown organisation $o"
    oo=$(orderer_of "$o")
    ( admin_env "$o"
      CORE_PEER_ADDRESS=${H_IP[$o]}:${O_PEER[$o]}   # from this machine, by address (in the TLS certificate)
      for v in FABRIC_CFG_PATH CORE_PEER_LOCALMSPID CORE_PEER_MSPCONFIGPATH CORE_PEER_ADDRESS \
               CORE_PEER_TLS_ENABLED CORE_PEER_TLS_ROOTCERT_FILE; do printf 'export %s=%q\n' "$v" "${!v}"; done
      printf 'export PATH=%q:$PATH\n' "$BIN"
      printf 'export ORDERER_ADDRESS=%q ORDERER_HOST=%q\n' "${H_IP[orderer0.$oo]}:${O_ORD[$oo]}" "$(orderer_host "$oo")"
      printf 'export ORDERER_CA=%q\n' "$(org_tlsca_cert "$oo")" ) ;;
  restart-chaincode) # after changing the Python contracts: no redeploy needed for a ccaas chaincode
    for o in "${ORG_NAMES[@]}"; do
      [[ -n "${2:-}" && "$2" != "$o" ]] && continue
      if pid=$(pid_of "chaincode.$o"); then stop_pids TERM "chaincode.$o:$pid"; fi
      start_chaincode "$o"; wait_healthy "chaincode.$o" 30
    done
    say "chaincode servers restarted" ;;
  stop) [[ -n "${2:-}" ]] || die "usage: $0 stop PROCESS [SIGNAL]"; cmd_stop "$2" "${3:-TERM}" ;;
  start) [[ -n "${2:-}" ]] || die "usage: $0 start PROCESS"; cmd_start "$2" ;;
  leader) cmd_leader ;;
  partition) [[ -n "${2:-}" ]] || die "usage: $0 partition CLUSTER"; cmd_partition "$2" down ;;
  heal) for c in "${CLUSTERS[@]}"; do [[ -z "${2:-}" || "$2" == "$c" ]] && cmd_partition "$c" up; done ;;
  prepare-chaincode) [[ -n "${2:-}" ]] || die "usage: $0 prepare-chaincode VERSION [ORG...]"; cmd_prepare "${@:2}" ;;
  commit-chaincode) cmd_commit ;;
  upgrade-chaincode) [[ -n "${2:-}" ]] || die "usage: $0 upgrade-chaincode VERSION [ORG...]"; cmd_prepare "${@:2}"; cmd_commit ;;
  approve-chaincode) [[ -n "${O_MSP[${2:-}]:-}" ]] || die "usage: $0 approve-chaincode ORG"; cmd_approve "$2" ;;
  purge) cmd_down; rm -rf "$NET"; say "removed $NET" ;;
  add-org) [[ -n "${2:-}" ]] || die "usage: $0 add-org NAME [--cluster C]"
    [[ -z "${3:-}" || ( "$3" == --cluster && -n "${4:-}" ) ]] || die "usage: $0 add-org NAME [--cluster C]"
    cmd_add_org "$2" "${4:-}" ;;
  join-org) [[ -n "${2:-}" ]] || die "usage: $0 join-org NAME"; cmd_join_org "$2" ;;
  remove-org) [[ -n "${2:-}" ]] || die "usage: $0 remove-org NAME"; cmd_remove_org "$2" ;;
  *) echo "usage: $0 up|down|status|env [ORG]|purge|restart-chaincode [ORG]|stop PROCESS [SIGNAL]|start PROCESS|leader|partition CLUSTER|heal [CLUSTER]|prepare-chaincode VERSION [ORG...]|commit-chaincode|upgrade-chaincode VERSION [ORG...]|approve-chaincode ORG|add-org NAME [--cluster C]|join-org NAME|remove-org NAME" >&2; exit 2 ;;
esac
