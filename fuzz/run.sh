#!/usr/bin/env bash
# Fuzzes the gateway's parsers with SharpFuzz + AFL++, each target for a bounded time.
#   bash fuzz/run.sh [--seconds N] [target ...]     targets: credential keyformat path graphql graphqltypes graphqlplan json jwt multipart mediatype
# Installs afl++ (Debian) and the SharpFuzz instrumenter (NuGet tool) when missing. Crashes are
# copied to fuzz/crashes/<target>/ (committed: each becomes a regression test); figures go to
# fuzz/out/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    -h|--help) sed -n 2,6p "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(credential keyformat path graphql graphqltypes graphqlplan json jwt multipart mediatype)

if ! command -v afl-fuzz >/dev/null 2>&1; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq afl++ >/dev/null
fi
tools="fuzz/.tools"
if [ ! -x "$tools/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
fi

out="fuzz/out"
rm -rf "$out/bin"
dotnet publish -c Release fuzz/Gateway.Fuzz -o "$out/bin" -v quiet -nologo >/dev/null
# Instrument the gateway's own code (not the framework): coverage feedback for AFL++.
"$tools/sharpfuzz" "$out/bin/Gateway.dll" >/dev/null

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
summary="$out/summary.txt"
: > "$summary"
for target in "${targets[@]}"; do
  findings="$out/$target"
  rm -rf "$findings"
  echo "fuzzing $target for ${seconds}s..."
  afl-fuzz -V "$seconds" -i "fuzz/corpus/$target" -o "$findings" -t 10000 -m none -- dotnet "$out/bin/Gateway.Fuzz.dll" "$target" >"$out/$target.log" 2>&1 || true
  stats="$findings/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "$target: afl-fuzz did not start, see $out/$target.log" | tee -a "$summary"
    exit 1
  fi
  value() { grep "^$1 " "$stats" | sed 's/.*: //'; }
  crashes=$(value saved_crashes)
  echo "$target: ${seconds}s, execs $(value execs_done), $(value execs_per_sec) execs/s, corpus $(value corpus_count), edges $(value edges_found), crashes $crashes, hangs $(value saved_hangs)" | tee -a "$summary"
  if [ "${crashes:-0}" != "0" ]; then
    mkdir -p "fuzz/crashes/$target"
    find "$findings/default/crashes" -type f -name 'id:*' -exec cp {} "fuzz/crashes/$target/" \;
  fi
done
cat "$summary"
! grep -q "crashes [1-9]" "$summary"
