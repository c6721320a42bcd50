"""Reading herscan's output in Python: shared by the plotting scripts and the schema test."""
import json
import sys

# The pitch classes in herscan's order (chroma index 0 = C), with herscan's spellings.
PITCHES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def parse_records(text):
    """The records of herscan output: a JSON object, a JSON array of them, or JSON Lines."""
    text = text.strip()
    if not text:
        return []
    try:
        value = json.loads(text)
        return value if isinstance(value, list) else [value]
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def read_records(source):
    """parse_records() of a file, or of stdin when source is "-"."""
    if source == "-":
        return parse_records(sys.stdin.read())
    with open(source, encoding="utf-8") as f:
        return parse_records(f.read())
