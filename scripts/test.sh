#!/usr/bin/env bash
# The project's test command (README): vet, formatting, the race-enabled
# tests against the real PostgreSQL and Redis, a smoke run of the benchmarks
# and a short run of each fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."

# PostgreSQL and Redis for the tests that need them (started when not running).
./scripts/services.sh
./scripts/browser.sh # headless Chromium for the browser tests (installed when missing)

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt: not formatted: $unformatted" >&2
  exit 1
fi
go vet ./...
go test -race -count=1 -timeout 20m ./...

# The benchmarks as a short smoke (a few iterations each, one per password
# hash) so that they keep running; BenchmarkAuth_RefreshAllocs fails when a
# session refresh exceeds its allocation budget. Figures: bench/README.md.
bench_pkgs=$(grep -rl --include='*_test.go' '^func Benchmark' . | xargs -n1 dirname | sort -u | grep -vx './hashers' || true)
for args in "-benchtime 100x $bench_pkgs" "-benchtime 1x ./hashers"; do
  out=$(go test -run '^$' -bench . $args 2>&1) || { echo "$out" >&2; exit 1; }
done

# Each fuzz target for a few seconds (FUZZTIME=0 skips).
fuzztime=${FUZZTIME:-5s}
if [ "$fuzztime" != "0" ]; then
  for pkg in $(go list ./...); do
    for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
      echo "fuzz: $pkg $target ($fuzztime)"
      if ! out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1); then
        echo "$out" | grep -v '^20[0-9][0-9]/' | tail -40 >&2
        exit 1
      fi
    done
  done
fi
echo "tests: all passed"
