"""`python -m w2s`: the runner (`run`) and the list of method config fields (`methods`).

Exit status: 0 on success, 2 on a bad config, bundle or argument, with one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from w2s.errors import W2SError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m w2s", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="train the strong student on a bundle with a method config")
    run.add_argument("--bundle", type=Path, default=Path("/bundle"), help="default: /bundle")
    run.add_argument("--config", type=Path, required=True, help="a JSON method config file")
    run.add_argument("--out", type=Path, required=True, help="where to write predictions JSON")
    run.add_argument("--quiet", action="store_true", help="print nothing on success")
    methods = sub.add_parser("methods", help="list the method config fields")
    methods.add_argument("--json", action="store_true", help="print the fields as JSON")
    return parser


def _print_methods(as_json: bool) -> None:
    from w2s.methods.config import describe_fields

    fields = describe_fields()
    if as_json:
        print(json.dumps(fields, indent=2))
        return
    for f in fields:
        scope = ""
        if "methods" in f:
            scope = f" [method: {', '.join(f['methods'])}]"
        if "losses" in f:
            scope = f" [loss: {', '.join(f['losses'])}]"
        print(f"{f['name']} ({f['type']}, default {json.dumps(f['default'])}){scope}")
        print(f"    allowed: {f['allowed']}")
        print(f"    {f['doc']}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "methods":
            _print_methods(args.json)
            return 0
        from w2s.runner import run

        output = run(args.bundle, args.config, args.out)
    except W2SError as exc:
        print(f"w2s {args.command}: error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        d = output["diagnostics"]
        print(
            f"wrote {len(output['predictions'])} predictions to {args.out} "
            f"(agreement with weak labels {d['agreement_with_weak_labels']:.3f}, "
            f"{d['wall_seconds']:.2f}s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
