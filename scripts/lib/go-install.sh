# Go programs no registry ships as binaries, built once from the Go module proxy (pinned by
# module version, checked against sum.golang.org by `go install`) and cached outside the clone:
#   go_install_cached NAME PACKAGE VERSION [LDFLAGS]  → prints the binary's path
# Builds into a temporary directory first, so an interrupted build never looks finished.
go_install_cached() {
  local name=$1 pkg=$2 version=$3 ldflags=${4:-}
  local dir=${GAJYEOGAGU_CACHE:-$HOME/.cache/gajyeogagu}/$name-$version
  if [[ ! -x $dir/$name ]]; then
    command -v go >/dev/null || { echo "go-install: Go is needed to build $name" >&2; return 1; }
    echo "go-install: building $name $version from Go modules (first run only)…" >&2
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    CGO_ENABLED=0 GOBIN=$dir.tmp go install -trimpath -ldflags "-s -w $ldflags" "$pkg@$version" >&2
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$dir/$name"
}
