# shellcheck shell=bash
# What a real node beside the `local` cluster's kwok nodes needs (devstack/node/),
# sourced by setup.sh and run only when asked: `setup.sh kube_node`.
#
# - kubelet and kube-proxy from the k8s.io/kubernetes wrapper module at $KUBE_VERSION,
#   the same module, replaces and version stamp as the control plane (kube.sh);
# - CoreDNS from its Go module at $COREDNS_VERSION, static (CGO_ENABLED=0): the image
#   holds nothing but the binary, so a dynamically linked one could not start;
# - the pause binary: `gcc -static` of the Kubernetes module's build/pause/linux/pause.c,
#   the sandbox every pod's containers share (no registry here to pull one from);
# - netcheck (devstack/node/netcheck): a static HTTP server and client for the tests;
# - Debian's containerd, runc, CNI plugins and iptables, installed when missing (root).
#
# Needs from setup.sh and kube.sh: CACHE, BIN, ROOT, step, fail, require_go,
# build_kube_binaries, mod_field, go_tool.

KUBE_NODE_BINARIES=(kubelet kube-proxy)
NODE_DEBIAN_PACKAGES=(containerd runc containernetworking-plugins iptables)

build_kube_node() {
  step "building kubelet and kube-proxy $KUBE_VERSION from source (first run only)"
  build_kube_binaries "kubelet and kube-proxy $KUBE_VERSION" "$CACHE/tools/kube-node-$KUBE_VERSION" \
    "$CACHE/tools/.build-kube-node-$KUBE_VERSION" "${KUBE_NODE_BINARIES[@]}"
}

# build_pause: the sandbox binary, tagged with the version its Makefile gives it.
build_pause() {
  local dir tag slot
  dir="$(mod_field "k8s.io/kubernetes@$KUBE_VERSION" Dir)"
  [[ -f "$dir/build/pause/linux/pause.c" ]] || fail "no build/pause/linux/pause.c in k8s.io/kubernetes@$KUBE_VERSION"
  tag="$(pause_tag "$dir")"
  slot="$CACHE/tools/pause-$tag"
  if [[ ! -x "$slot/pause" ]]; then
    command -v gcc >/dev/null || fail "gcc is needed to build the pause binary (apt-get install gcc libc6-dev)"
    step "building pause $tag (gcc -static)"
    mkdir -p "$slot.tmp"
    gcc -Os -Wall -Werror -static "-DVERSION=v$tag" -o "$slot.tmp/pause" "$dir/build/pause/linux/pause.c" ||
      { rm -rf "$slot.tmp"; fail "could not compile pause.c statically (is libc6-dev installed?)"; }
    rm -rf "$slot" && mv "$slot.tmp" "$slot"
  fi
  ln -sfn "$slot/pause" "$BIN/pause"
}

pause_tag() {
  sed -n 's/^TAG ?= *//p' "$1/build/pause/Makefile"
}

# build_netcheck: the test server/client, cached by the hash of its source.
build_netcheck() {
  local src="$ROOT/devstack/node/netcheck/main.go" hash slot
  hash="$(sha256sum "$src" | cut -c1-12)"
  slot="$CACHE/tools/netcheck-$hash"
  if [[ ! -x "$slot/netcheck" ]]; then
    step "building netcheck ($hash)"
    mkdir -p "$slot.tmp"
    (cd "$(dirname "$src")" && go build -trimpath -ldflags "-s -w" -o "$slot.tmp/netcheck" main.go) ||
      { rm -rf "$slot.tmp"; fail "could not build $src"; }
    rm -rf "$slot" && mv "$slot.tmp" "$slot"
  fi
  ln -sfn "$slot/netcheck" "$BIN/netcheck"
}

# install_node_packages: Debian's runtime pieces, only when missing and only as root.
install_node_packages() {
  local missing=() p
  for p in "${NODE_DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
    step "not installing ${missing[*]}: needs root and apt-get (the real-node tests will skip)"
    return 0
  fi
  step "installing ${missing[*]} from Debian packages"
  # No service is started: the node runs its own containerd (devstack/node).
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
    fail "could not install ${missing[*]} (apt-get install)"
}

install_kube_node() {
  require_go
  local b
  for b in "${KUBE_NODE_BINARIES[@]}"; do
    [[ -x "$CACHE/tools/kube-node-$KUBE_VERSION/$b" ]] || { build_kube_node; break; }
  done
  for b in "${KUBE_NODE_BINARIES[@]}"; do ln -sfn "$CACHE/tools/kube-node-$KUBE_VERSION/$b" "$BIN/$b"; done
  go_tool coredns github.com/coredns/coredns "$COREDNS_VERSION"
  build_pause
  build_netcheck
  install_node_packages
}
