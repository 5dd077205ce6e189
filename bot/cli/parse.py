"""`chiso parse directive FILE`: what the directive reader finds; touches no database."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.common import _, err, out, read_file


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parse = sub.add_parser("parse", help=_("read a document without storing anything"))
    parse_sub = parse.add_subparsers(dest="what", required=True)
    directive = parse_sub.add_parser("directive", help=_("read a directive's tasks"))
    directive.add_argument("file", type=Path)
    directive.add_argument("--json", action="store_true", help=_("print JSON"))
    directive.add_argument(
        "--ward-config", type=Path, help=_("ward.toml: departments as the ward's codes")
    )
    # synchronous: no database, no event loop
    directive.set_defaults(
        run_sync=lambda settings, args: cmd_parse_directive(args.file, args.ward_config, args.json)
    )


def cmd_parse_directive(path: Path, ward_config: Path | None, as_json: bool) -> int:
    """Prints what the directive reader finds; touches no database."""
    import json

    from bot.config import load_settings
    from handlers.reading import ReadRefused, refusal_text
    from ingest.directive import parse_directive, to_json, units_from_ward
    from ingest.documents import DocumentError, extract_text
    from ingest.ward_config import WardConfigError, load_ward_config

    try:
        data = read_file(path)
        if data is None:
            return 2
        limits = load_settings().read_limits()
        if len(data) > limits.max_file_bytes:
            err(refusal_text(ReadRefused("too_large", limits.max_file_bytes), path.name, _))
            return 2
        text = extract_text(path.name, data, max_unpacked=limits.max_unpacked_bytes)
    except OSError as exc:
        err(_("Cannot read {path}: {error}", path=str(path), error=str(exc)))
        return 2
    except DocumentError as exc:
        from handlers.directives import document_problem

        err(document_problem(exc.code, path.name, _, exc.limit))
        return 2
    units = None
    if ward_config is not None:
        try:
            units = units_from_ward(load_ward_config(ward_config.read_text(encoding="utf-8")))
        except OSError as exc:
            err(_("Cannot read {path}: {error}", path=str(ward_config), error=str(exc)))
            return 2
        except WardConfigError as exc:
            from bot.cli.setup import problem_lines

            err(_("{path} has problems; nothing was written:", path=str(ward_config)))
            for line in problem_lines(ward_config, exc):
                err(line)
            return 2
    parsed = parse_directive(text, units=units)
    result = to_json(parsed, with_codes=units is not None)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    for entry in result["tasks"]:
        deadline = entry["deadline"] or entry["recurrence"] or "—"
        out(
            f"{entry['source_line']:>4}  {entry['role']:<7} {entry['department'] or '—':<28} "
            f"{deadline:<12} {entry['task'][:90]}"
        )
    if result["unknown_units"]:
        out(_("Units this ward does not have: {units}", units=", ".join(result["unknown_units"])))
    return 0
