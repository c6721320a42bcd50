#!/usr/bin/env bash
# Builds herscan's real-music development set into OUTPUT_DIR (default ~/herscan-realset): the
# packages' music is downloaded (apt-get download, never installed), rendered and described by a
# manifest of truth per slice. Idempotent: files already rendered are kept. README.md says what
# each slice holds and how its truth is derived.
#
#   scripts/realset/make_realset.sh [OUTPUT_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$HOME/herscan-realset}"
mkdir -p "$out"
"$here/../setup.sh" --realset
python=/usr/bin/python3
nice "$python" "$here/midi_renders.py" "$out"   # manifest_midi.json
nice "$python" "$here/midi_renders.py" "$out" --package freedm  # manifest_freedm.json
nice "$python" "$here/modules.py" "$out"        # manifest_modules.json
nice "$python" "$here/key_joins.py" "$out"      # manifest_joins.json (from the MIDI renders)
nice "$python" "$here/unlabelled.py" "$out"     # manifest_unlabelled.json (no truth)
echo "real-music development set in $out"
