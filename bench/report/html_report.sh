#!/usr/bin/env bash
# Size and drawing time of the HTML reports of a Qwen2.5-0.5B-shaped model (151,936-token vocabulary,
# 290 tensors): check (with the forward pass and its trace), stats, diff --forward (F16 against Q8_0)
# and audit (a trace of the model against itself). For each report: its size, the time its script
# takes to draw it in headless Chromium (the page's own data-render-ms), and Chromium's wall time to
# load it against the peer, an empty page loaded the same way in the same run (ratio printed).
# Usage: bench/report/html_report.sh [BUILD_DIR] [WORK_DIR]     (needs chromium; goal: < 5 MB, < 2 s)
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
work=${2:-$build/bench-cache/report}
mkdir -p "$work"
chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome) || {
  echo "html_report.sh: no chromium" >&2; exit 1; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync "--host-resolver-rules=MAP * ~NOTFOUND" --user-data-dir="$profile")

for type in f16 q8_0; do
  [ -f "$work/qwen-$type.gguf" ] || "$build/gguf-samples" --preset qwen2.5-0.5b --type "$type" -o "$work/qwen-$type.gguf"
done
model=$work/qwen-f16.gguf
"$build/gguf-doctor" check "$model" --html "$work/check.html" >/dev/null || true
"$build/gguf-doctor" stats "$model" --html "$work/stats.html" >/dev/null
"$build/gguf-doctor" diff "$model" "$work/qwen-q8_0.gguf" --forward --max-tokens 64 --html "$work/diff.html" >/dev/null || true
"$build/gguf-doctor" trace "$model" --prompt "The capital of France is" --out "$work/trace.json" >/dev/null 2>&1
"$build/gguf-doctor" audit "$model" --trace "$work/trace.json" --html "$work/audit.html" >/dev/null || true
echo '<!DOCTYPE html><html><body></body></html>' > "$work/empty.html"

# Prints the seconds chromium takes to load a page and dump its DOM (median of 3), then the page's
# data-render-ms and data-ready-ms (of the last load).
load() {
  local times=() t0 t1 dom render ready
  for _ in 1 2 3; do
    t0=$(date +%s.%N)
    dom=$("$chromium" "${flags[@]}" --dump-dom "file://$1" 2>/dev/null)
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc)")
  done
  render=$(grep -o 'data-render-ms="[0-9]*"' <<<"$dom" | grep -o '[0-9]*' || echo -)
  ready=$(grep -o 'data-ready-ms="[0-9]*"' <<<"$dom" | grep -o '[0-9]*' || echo -)
  echo "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p) $render $ready"
}

read -r empty _ < <(load "$work/empty.html")
printf '| report | size | drawn by its script | drawn, since navigation start | chromium load | empty page (peer) | ratio |\n'
printf '| --- | --- | --- | --- | --- | --- | --- |\n'
for r in check stats diff audit; do
  size=$(stat -c %s "$work/$r.html")
  read -r wall render ready < <(load "$work/$r.html")
  printf '| %s | %.2f MB | %s ms | %s ms | %.2f s | %.2f s | %.2fx |\n' "$r" "$(echo "$size / 1000000" | bc -l)" "$render" "$ready" \
    "$wall" "$empty" \
    "$(echo "$wall / $empty" | bc -l)"
done
