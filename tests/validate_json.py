#!/usr/bin/env python3
"""Validates herscan output against docs/profile.schema.json.

usage: validate_json.py SCHEMA FILE [FILE...]
Each FILE holds a JSON object, a JSON array of records, or JSON Lines. Exit 0 when every record
validates, 1 otherwise (the first error is printed), 77 when python3-jsonschema is missing.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from herscan_json import parse_records  # noqa: E402

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(77)


def main():
    schema = json.load(open(sys.argv[1]))
    validator = jsonschema.Draft202012Validator(schema)
    count = 0
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            for record in parse_records(f.read()):
                error = jsonschema.exceptions.best_match(validator.iter_errors(record))
                if error is not None:
                    where = "/".join(map(str, error.absolute_path)) or "(top level)"
                    print(f"{path}: record {count}: {where}: {error.message[:300]}", file=sys.stderr)
                    sys.exit(1)
                count += 1
    if count == 0:
        print("no records found", file=sys.stderr)
        sys.exit(1)
    print(f"{count} record(s) valid")


if __name__ == "__main__":
    main()
