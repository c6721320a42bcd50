#!/usr/bin/env bash
# Throughput of `herscan-loudness --tag --album-per-folder` on a library-shaped tree: the audio
# files under SOURCE copied into folders of 12 (albums), tagged once (every file written), then
# tagged again (every file current: nothing rewritten) and with --skip-tagged (nothing measured).
# Prints files per second, wall and CPU time (CPU / wall ≈ the cores used); docs/performance.md.
#
#   bench/tag_throughput.sh BUILD/apps/herscan-loudness SOURCE [WORK]
set -euo pipefail
exe=$(realpath "$1")
source_dir=$2
work=${3:-$(mktemp -d)}
tree="$work/library"
rm -rf "$tree"
mkdir -p "$tree"
i=0
while IFS= read -r -d '' f; do
  album=$(printf '%s/album%03d' "$tree" $((i / 12)))
  mkdir -p "$album"
  cp "$f" "$album/"
  i=$((i + 1))
done < <(find "$source_dir" -type f \( -name '*.flac' -o -name '*.ogg' -o -name '*.opus' \
  -o -name '*.mp3' -o -name '*.m4a' -o -name '*.wv' \) -print0 | sort -z)
echo "$i files in $(find "$tree" -mindepth 1 -type d | wc -l) folders, $(du -sh "$tree" | cut -f1)"

run() {
  local label=$1
  shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$work/time.txt" "$exe" "$@" -q -f jsonl "$tree" >"$work/out.jsonl" || true
  end=$(date +%s.%N)
  read -r user sys <"$work/time.txt"
  python3 - "$label" "$i" "$start" "$end" "$user" "$sys" "$work/out.jsonl" <<'EOF'
import collections, json, sys
label, n, start, end, user, sys_t, out = sys.argv[1:]
wall = float(end) - float(start)
cpu = float(user) + float(sys_t)
actions = collections.Counter()
for line in open(out):
    r = json.loads(line)
    if "error" in r:
        actions["error " + r["error"]["code"]] += 1
    elif "replaygain_tags" in r:
        actions[r["replaygain_tags"]["action"]] += 1
print(f"{label}: {int(n) / wall:.1f} files/s, wall {wall:.1f} s, CPU {cpu:.1f} s "
      f"({cpu / wall:.2f} cores), {dict(actions)}")
EOF
}
run "first --tag (writes)" --tag --album-per-folder
run "second --tag (current)" --tag --album-per-folder
run "--tag --skip-tagged" --tag --album-per-folder --skip-tagged
run "measure only" --album-per-folder
