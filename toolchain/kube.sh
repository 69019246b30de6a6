# shellcheck shell=bash
# Builds the `local` cluster's control plane from source, sourced by setup.sh:
# kube-apiserver, kube-controller-manager, kube-scheduler and kubectl from the
# k8s.io/kubernetes module at $KUBE_VERSION, and etcd from go.etcd.io/etcd at
# $ETCD_VERSION. Both modules carry `replace` directives in their go.mod, which
# `go install pkg@version` refuses, so each is built through a throwaway
# wrapper module that requires it (and, for Kubernetes, repeats the staging
# replaces from that release's own go.mod, pointing at the published v0.X.Y
# staging modules). Results are cached in $CACHE/tools/<name>-<version> and
# linked into .tools/bin like every other Go tool.
#
# Needs from setup.sh: CACHE, BIN, GOMODCACHE/GOCACHE exported, step, fail.

KUBE_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

# mod_field MODULE@VERSION FIELD: a field (GoMod, Info, Dir) of `go mod download -json`.
mod_field() {
  go mod download -json "$1" | sed -n "s/.*\"$2\": \"\\(.*\\)\".*/\\1/p"
}

# build_with_progress WHAT LOG TOTAL CMD...: run CMD (a `go build -v`) with its
# output in LOG, printing how many of TOTAL packages were compiled so far.
build_with_progress() {
  local what="$1" log="$2" total="$3"
  shift 3
  local start=$SECONDS last=$SECONDS pid
  "$@" >"$log" 2>&1 &
  pid=$!
  # A background job ignores Ctrl-C in a script: stop it with us.
  trap 'kill "$pid" 2>/dev/null; exit 130' INT TERM
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS - last >= 30)); then
      last=$SECONDS
      step "  $what: $(wc -l <"$log") of at most $total packages compiled, $((SECONDS - start))s"
    fi
  done
  trap - INT TERM
  wait "$pid" || { tail -n 40 "$log" >&2; return 1; }
}

# kube_ldflags VERSION DATE: stamp the release into both version packages, as
# Kubernetes' hack/lib/version.sh does, so /version (and Helm's
# .Capabilities.KubeVersion, and kwokctl's flag selection) see the real version.
kube_ldflags() {
  local version="$1" date="$2" minor pkg
  minor="$(echo "$version" | cut -d. -f2)"
  printf -- '-s -w'
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    # gitCommit: the module archive carries no commit; empty beats "$Format:%H$".
    printf -- " -X $pkg.%s" "gitVersion=$version" gitMajor=1 "gitMinor=$minor" \
      gitTreeState=clean "buildDate=$date" gitCommit=
  done
}

# kube_wrapper_gomod VERSION GOMOD: a go.mod requiring k8s.io/kubernetes@VERSION
# with every `k8s.io/X => ./staging/src/k8s.io/X` replace of that release turned
# into `k8s.io/X => k8s.io/X v0.<minor>.<patch>`.
kube_wrapper_gomod() {
  local version="$1" gomod="$2" staging="v0${1#v1}"
  echo "module mlops-platform.local/kube-build"
  echo
  grep -E '^(go|godebug) ' "$gomod"
  echo
  echo "require k8s.io/kubernetes $version"
  echo
  echo "replace ("
  awk -v v="$staging" '$2 == "=>" && $3 ~ /^\.\/staging\// {print "\t" $1 " => " $1 " " v}' "$gomod"
  echo ")"
}

# wrapper_build NAME WORKDIR LDFLAGS PACKAGE...: download the wrapper module's
# dependencies, then build the packages into WORKDIR/bin. The build cache is a
# throwaway one in WORKDIR: it reaches ~4 GB for Kubernetes and serves nothing
# once the binaries sit in their cache slot (a new version recompiles anyway).
wrapper_build() {
  local name="$1" work="$2" ldflags="$3"
  shift 3
  local start=$SECONDS deps downloads
  step "  $name: resolving and downloading modules"
  if ! deps="$(cd "$work" && GOCACHE="$work/gocache" go list -mod=mod -deps "$@" 2>"$work/modules.log")"; then
    grep -v '^go: downloading' "$work/modules.log" >&2
    fail "could not resolve the $name modules through the Go module proxy"
  fi
  downloads="$(grep -c '^go: downloading' "$work/modules.log" || true)"
  step "  $name: modules ready in $((SECONDS - start))s ($downloads downloaded); compiling $(wc -l <<<"$deps") packages"
  (cd "$work" && build_with_progress "$name" "$work/build.log" "$(wc -l <<<"$deps")" \
    env GOCACHE="$work/gocache" go build -mod=mod -v -trimpath -ldflags "$ldflags" -o "$work/bin/" "$@") ||
    fail "could not build $name: see the go output above (full log: $work/build.log)"
  step "  $name: compiled in $((SECONDS - start))s"
}

# build_kube_binaries WHAT SLOT WORK BINARY...: the named cmd/ binaries of
# k8s.io/kubernetes@$KUBE_VERSION, built through the wrapper module in WORK (a fixed
# dir: an interrupted build resumes from its build cache), moved to SLOT.
build_kube_binaries() {
  local what="$1" slot="$2" work="$3" gomod date pkgs=() b
  shift 3
  mkdir -p "$work" && rm -rf "${work:?}/bin"
  gomod="$(mod_field "k8s.io/kubernetes@$KUBE_VERSION" GoMod)"
  [[ -f "$gomod" ]] || fail "could not fetch k8s.io/kubernetes@$KUBE_VERSION from the Go module proxy"
  date="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "${gomod%.mod}.info")"
  kube_wrapper_gomod "$KUBE_VERSION" "$gomod" >"$work/go.mod"
  for b in "$@"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  wrapper_build "$what" "$work" "$(kube_ldflags "$KUBE_VERSION" "$date")" "${pkgs[@]}"
  rm -rf "$slot" && mv "$work/bin" "$slot" && rm -rf "$work"
}

build_kube() {
  step "building Kubernetes $KUBE_VERSION control plane from source (first run only; ~10 min on 2 cores)"
  build_kube_binaries "kubernetes $KUBE_VERSION" "$CACHE/tools/kube-$KUBE_VERSION" \
    "$CACHE/tools/.build-kube-$KUBE_VERSION" "${KUBE_BINARIES[@]}"
}

build_etcd() {
  local slot="$CACHE/tools/etcd-$ETCD_VERSION" work="$CACHE/tools/.build-etcd-$ETCD_VERSION"
  mkdir -p "$work" && rm -rf "${work:?}/bin"
  step "building etcd $ETCD_VERSION from source (first run only)"
  printf 'module mlops-platform.local/etcd-build\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' \
    "$ETCD_VERSION" >"$work/go.mod"
  wrapper_build "etcd $ETCD_VERSION" "$work" "-s -w" go.etcd.io/etcd/server/v3
  # go names a binary built from a .../v3 package after the element before it.
  mkdir -p "$slot" && mv "$work/bin/server" "$slot/etcd" && rm -rf "$work"
}

# install_kube: build (once) and link the control plane into .tools/bin.
install_kube() {
  local b
  for b in "${KUBE_BINARIES[@]}"; do
    [[ -x "$CACHE/tools/kube-$KUBE_VERSION/$b" ]] || { build_kube; break; }
  done
  [[ -x "$CACHE/tools/etcd-$ETCD_VERSION/etcd" ]] || build_etcd
  for b in "${KUBE_BINARIES[@]}"; do ln -sfn "$CACHE/tools/kube-$KUBE_VERSION/$b" "$BIN/$b"; done
  ln -sfn "$CACHE/tools/etcd-$ETCD_VERSION/etcd" "$BIN/etcd"
  link_kwok_stages
}

# link_kwok_stages: kwok's stage definitions (its defaults and the volume stages)
# from the pinned kwok module, for the local provider (devstack/cluster/local.py) to
# compose its kwok config from.
link_kwok_stages() {
  local dir="$GOMODCACHE/sigs.k8s.io/kwok@$KWOK_VERSION"
  [[ -d "$dir/kustomize/stage" ]] || dir="$(mod_field "sigs.k8s.io/kwok@$KWOK_VERSION" Dir)"
  [[ -d "$dir/kustomize/stage" ]] || fail "no kustomize/stage in sigs.k8s.io/kwok@$KWOK_VERSION"
  mkdir -p "$ROOT/.tools/kwok"
  ln -sfn "$dir/kustomize/stage" "$ROOT/.tools/kwok/stage"
}
