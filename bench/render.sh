#!/usr/bin/env bash
# Whole-process benchmark: `goldenpath render` of the go-service template
# against `cookiecutter --no-input` of the equivalent cookiecutter template in
# bench/cookiecutter-go-service (same files, same answers, byte-identical
# output apart from goldenpath's .goldenpath.yml). Both run in the same
# hyperfine session; prints each median and the ratio.
#
# Usage: bench/render.sh [RUNS]   (default 30; needs go, hyperfine, cookiecutter, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-30}"
for tool in go hyperfine cookiecutter python3; do
  command -v "$tool" >/dev/null || { echo "bench/render.sh: $tool is not installed" >&2; exit 1; }
done

work="bench/results"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
go build -o "$work/goldenpath" ./cmd/goldenpath

answers=(name=payments-api owner=team-payments system=payments lifecycle=experimental)
gp_sets=()
for a in "${answers[@]}"; do gp_sets+=(--set "$a"); done
desc="Takes card payments from the checkout and settles them with the bank."

gp_cmd="$work/goldenpath render --template templates/go-service --out $work/gp-out --org acme ${gp_sets[*]} --set 'description=$desc' --set dependabot=true"
cc_cmd="cookiecutter --no-input -o $work/cc-out bench/cookiecutter-go-service org=acme ${answers[*]} 'description=$desc' dependabot=yes"

# One run of each first: both must succeed and agree on every file.
rm -rf "$work/gp-out" "$work/cc-out"
eval "$gp_cmd" >/dev/null
eval "$cc_cmd" >/dev/null
diff -r -x .goldenpath.yml "$work/gp-out" "$work/cc-out/payments-api"

hyperfine --style basic --warmup 3 --runs "$runs" --export-json "$work/render.json" \
  --prepare "rm -rf $work/gp-out" -n "goldenpath render" "$gp_cmd" \
  --prepare "rm -rf $work/cc-out" -n "cookiecutter --no-input" "$cc_cmd"

python3 - "$work/render.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
gp, cc = r["goldenpath render"], r["cookiecutter --no-input"]
print(f"\nmedian: goldenpath render {gp['median']*1000:.1f} ms, "
      f"cookiecutter {cc['median']*1000:.1f} ms -> goldenpath is "
      f"{cc['median']/gp['median']:.1f}x faster ({len(gp['times'])} runs each)")
PY
