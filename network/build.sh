#!/usr/bin/env bash
# Build the Hyperledger Fabric binaries this project runs, from Go modules, into a cache
# folder outside git:  ${NINETEN_FABRIC_HOME:-$HOME/.cache/nineten/fabric}/{bin,builders,config}
#
#   network/build.sh            build what is missing (reuses binaries whose stamp matches the pin)
#   network/build.sh --force    rebuild everything
#
# Pins (override with the environment variables of the same name):
#   Fabric: its module path has no /v2 suffix, so a release is pinned by commit, written as the
#   pseudo-version Go derives for that commit (nearest semver ancestor tag is v1.4.0-rc1).
#   v2.5.9 is the newest 2.5 release the module proxy serves here (v2.5.10+ answer 403).
set -euo pipefail

FABRIC_RELEASE=${FABRIC_RELEASE:-v2.5.9}
FABRIC_COMMIT=${FABRIC_COMMIT:-7c3876255bf064b789a839ce347b6a02adb6333c}
FABRIC_MODVER=${FABRIC_MODVER:-v1.4.0-rc1.0.20240618194258-7c3876255bf0}
# the nested module github.com/hyperledger/fabric/ccaas_builder at the same commit (no tags: v0.0.0-...)
CCAAS_MODVER=${CCAAS_MODVER:-v0.0.0-20240618194258-7c3876255bf0}
FABRIC_CA_VERSION=${FABRIC_CA_VERSION:-v1.5.15}

HOME_DIR=${NINETEN_FABRIC_HOME:-$HOME/.cache/nineten/fabric}
BIN=$HOME_DIR/bin
BUILDERS=$HOME_DIR/builders
CONFIG=$HOME_DIR/config
STAMPS=$HOME_DIR/stamps
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

mkdir -p "$BIN" "$BUILDERS/ccaas/bin" "$CONFIG" "$STAMPS"

die() { echo "build.sh: FAILED: $*" >&2; exit 1; }
now() { date +%s.%N; }
T0=$(now)
declare -a REPORT=()
step_done() { # name start status
  local d; d=$(awk -v a="$2" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}')
  REPORT+=("$(printf '%-22s %-8s %6ss' "$1" "$3" "$d")")
  printf 'build.sh: %-22s %-8s %6ss\n' "$1" "$3" "$d"
}

# --- toolchain and proxy -------------------------------------------------------------
command -v go >/dev/null 2>&1 || die "the Go toolchain ('go') is not on PATH; install Go >= 1.22"
GOVER=$(go env GOVERSION)
GOMODCACHE=$(go env GOMODCACHE)
GOPROXY_V=$(go env GOPROXY)
echo "build.sh: $GOVER, GOPROXY=$GOPROXY_V, cache=$HOME_DIR"
echo "build.sh: fabric $FABRIC_RELEASE ($FABRIC_COMMIT = $FABRIC_MODVER), fabric-ca $FABRIC_CA_VERSION"

proxy_check() { # module version
  local first=${GOPROXY_V%%,*} path
  case "$first" in off|direct|file://*) return 0 ;; esac
  path=$(echo "$1" | sed -E 's/([A-Z])/!\L\1/g')
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$first/$path/@v/$2.mod" || echo 000)
  [[ "$code" == 200 ]] && return 0
  echo "build.sh: module proxy $first answered HTTP $code for $1@$2" >&2
  return 1
}

# --- build steps -----------------------------------------------------------------------
# `go install pkg@version` is not used: it asks the proxy for the module's version list (to
# report deprecations) and this proxy refuses list queries for github.com/hyperledger/* (403),
# though it serves the pinned versions themselves. So: download the exact module version,
# copy it to $HOME_DIR/src and `go build` there against the module's own go.mod/go.sum
# (the same build list `go install` would use; go.sum verifies every dependency).
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
SRC=$HOME_DIR/src
mkdir -p "$SRC"
# module_src <module> <version> -> prints the writable source dir
module_src() {
  local mod=$1 ver=$2 dst="$SRC/$(basename "$1")@$2" dir
  if [[ ! -f "$dst/go.mod" ]]; then
    dir=$(go mod download -json "$mod@$ver" 2>"$STAMPS/download.log" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    if [[ -z "$dir" || ! -d "$dir" ]]; then cat "$STAMPS/download.log" >&2; return 1; fi
    rm -rf "$dst.tmp" && cp -R "$dir" "$dst.tmp" && chmod -R u+w "$dst.tmp" && mv "$dst.tmp" "$dst"
  fi
  echo "$dst"
}
# install_bin <name> <module> <version> <package dir inside module>
install_bin() {
  local name=$1 mod=$2 ver=$3 pkgdir=$4 stamp="$STAMPS/$1" t src
  t=$(now)
  if [[ $FORCE == 0 && -x "$BIN/$name" && -f "$stamp" && "$(cat "$stamp")" == "$mod/$pkgdir@$ver" ]]; then
    step_done "$name" "$t" cached; return 0
  fi
  if ! src=$(module_src "$mod" "$ver"); then
    step_done "$name" "$t" FAILED; return 1
  fi
  if ! (cd "$src" && go build -p 2 -trimpath -mod=readonly -buildvcs=false -o "$BIN/$name" "./$pkgdir") \
       >"$STAMPS/$name.log" 2>&1; then
    cat "$STAMPS/$name.log" >&2
    step_done "$name" "$t" FAILED
    return 1
  fi
  echo "$mod/$pkgdir@$ver" >"$stamp"
  step_done "$name" "$t" built
}

FAILED=()
if ! proxy_check github.com/hyperledger/fabric "$FABRIC_MODVER"; then
  die "cannot fetch github.com/hyperledger/fabric@$FABRIC_MODVER through the Go module proxy (network, GOPROXY or the proxy's filter); nothing built"
fi
for b in configtxgen cryptogen osnadmin orderer peer; do
  install_bin "$b" github.com/hyperledger/fabric "$FABRIC_MODVER" "cmd/$b" || FAILED+=("$b")
done
for b in fabric-ca-server fabric-ca-client; do
  install_bin "$b" github.com/hyperledger/fabric-ca "$FABRIC_CA_VERSION" "cmd/$b" || FAILED+=("$b")
done

# --- chaincode-as-a-service external builder ------------------------------------------
# Preferred: Fabric's own ccaas_builder module (cmd/detect, cmd/build, cmd/release).
# Fallback when the proxy does not serve that nested module: our own minimal builder
# scripts in network/ccaas_builder/ (same contract: type "ccaas", connection.json).
t=$(now)
ccaas_ok=1
if proxy_check github.com/hyperledger/fabric/ccaas_builder "$CCAAS_MODVER" 2>/dev/null; then
  for b in detect build release; do
    install_bin "ccaas-$b" github.com/hyperledger/fabric/ccaas_builder "$CCAAS_MODVER" "cmd/$b" || ccaas_ok=0
    [[ -x "$BIN/ccaas-$b" ]] && cp -f "$BIN/ccaas-$b" "$BUILDERS/ccaas/bin/$b"
  done
else
  ccaas_ok=0
fi
if [[ $ccaas_ok == 0 ]]; then
  echo "build.sh: ccaas_builder@$CCAAS_MODVER not available from the proxy; using network/ccaas_builder scripts"
  install -m 0755 "$HERE"/ccaas_builder/bin/{detect,build,release} "$BUILDERS/ccaas/bin/"
  echo "scripts" >"$STAMPS/ccaas"
  step_done "ccaas-builder" "$t" scripts
fi

# --- sample configuration from the module itself --------------------------------------
t=$(now)
SAMPLE="$GOMODCACHE/github.com/hyperledger/fabric@$FABRIC_MODVER/sampleconfig"
if [[ -d "$SAMPLE" ]]; then
  for f in core.yaml orderer.yaml configtx.yaml; do
    install -m 0644 "$SAMPLE/$f" "$CONFIG/$f"
  done
  echo "$FABRIC_MODVER" >"$STAMPS/config"
  step_done "sampleconfig" "$t" copied
else
  FAILED+=("sampleconfig")
  step_done "sampleconfig" "$t" FAILED
  echo "build.sh: $SAMPLE missing (module not downloaded?)" >&2
fi

echo "build.sh: ---- summary ($(awk -v a="$T0" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}')s total) ----"
printf '  %s\n' "${REPORT[@]}"
if (( ${#FAILED[@]} )); then
  die "these steps failed: ${FAILED[*]} (see $STAMPS/<name>.log)"
fi
echo "build.sh: OK, binaries in $BIN"
