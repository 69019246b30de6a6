#!/usr/bin/env bash
# Regenerates the values table in every chart's README.md with helm-docs and the
# shared template toolchain/chart-readme.gotmpl (`make chart-docs`). An argument
# names another charts folder: the static tier passes a copy and compares.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHARTS="$(cd "${1:-$ROOT/charts}" && pwd)"
HELM_DOCS="$ROOT/.tools/bin/helm-docs"
[[ -x "$HELM_DOCS" ]] || { echo "chart-docs: $HELM_DOCS is missing: run make setup" >&2; exit 1; }

# The template reads README.md itself and helm-docs empties its output file
# before rendering, so it writes beside README.md; the results replace the
# READMEs only when every chart rendered (helm-docs logs a failure but exits 0).
log="$("$HELM_DOCS" --chart-search-root "$CHARTS" \
  --template-files "$ROOT/toolchain/chart-readme.gotmpl" --sort-values-order file \
  --output-file README.md.new --log-level warning 2>&1)" && status=0 || status=$?
if ((status)) || [[ -n "$log" ]]; then
  find "$CHARTS" -name README.md.new -delete
  printf 'chart-docs: helm-docs failed, no README changed:\n%s\n' "$log" >&2
  exit 1
fi
# The umbrella and its subcharts (charts/platform/charts/<name>) alike.
while IFS= read -r new; do
  mv "$new" "${new%.new}"
done < <(find "$CHARTS" -name README.md.new)
