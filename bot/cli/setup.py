"""`chiso setup FILE...`: create or update wards from their files.

Each FILE is a ward file (`ward.toml`), a folder (every `*.toml` in it, by name) or a
province file (`[province]` with its wards' files and its provincial staff, who are put in
every ward of the province with the role `province`).

All or nothing at the check: every file is read and checked first, together (a ward
described twice, a ward of another province, provincial staff also listed in a ward), then
against the database (a ward file alone must not take over the ward's provincial staff); if
any file has a problem, each problem is shown with its file and line and NO ward is written,
so a province is never half set up. Then each ward is written in its own transaction (a
province of 114 wards is not one long lock) and reported on its own line.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import _, err, open_app, out, read_file

if TYPE_CHECKING:
    from bot.config import Settings
    from ingest.province_config import ProvinceConfig, WardFile
    from ingest.ward_config import ConfigProblem, WardConfigError
    from store.setup import SetupSummary

GLOB_CHARS = frozenset("*?[")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    setup = sub.add_parser(
        "setup",
        help=_("create or update wards from ward files, folders of them or a province file"),
    )
    setup.add_argument("files", nargs="+", type=Path, metavar="FILE")
    setup.set_defaults(run=lambda settings, args: cmd_setup(settings, args.files))


def problem_lines(path: Path, exc: WardConfigError) -> list[str]:
    """Each problem of a ward.toml as a sentence with its line."""
    return _lines_of(path, exc.problems)


def _lines_of(path: Path, problems: list[ConfigProblem]) -> list[str]:
    from handlers.problems import describe

    lines = []
    for p in problems:
        where = _("line {line}", line=p.line) if p.line else _("file")
        lines.append(f"  {path.name}, {where}: {describe(p.problem, _)}")
    return lines


def _show_problems(path: Path, problems: list[ConfigProblem]) -> None:
    err(_("{path} has problems; nothing was written:", path=str(path)))
    for line in _lines_of(path, problems):
        err(line)


def _read_text(path: Path) -> str | None:
    data = read_file(path)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        err(_("{path} is not UTF-8 text; save it as UTF-8 and try again.", path=str(path)))
        return None


def _expand(paths: list[Path]) -> list[Path] | None:
    """The files named: a folder gives its *.toml files by name; None after saying why a
    folder cannot be used."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.glob("*.toml") if p.is_file())
            if not inside:
                err(_("{path} holds no .toml file.", path=str(path)))
                return None
            found += inside
        else:
            found.append(path)
    return found


def _province_wards(path: Path, cfg: ProvinceConfig) -> tuple[list[Path], list[str]]:
    """The ward files a province file lists (relative to it), and its patterns that match
    no file."""
    base = path.parent
    found: list[Path] = []
    unmatched: list[str] = []
    for pattern in cfg.wards:
        if GLOB_CHARS & set(pattern):
            matches = sorted(p for p in base.glob(pattern) if p.is_file())
        else:
            target = base / pattern
            if target.is_dir():
                matches = sorted(p for p in target.glob("*.toml") if p.is_file())
            else:
                matches = [target] if target.is_file() else []
        matches = [p for p in matches if p.resolve() != path.resolve()]
        if not matches:
            unmatched.append(pattern)
        found += matches
    return list(dict.fromkeys(found)), unmatched


def _collect(paths: list[Path]) -> tuple[list[WardFile], bool]:
    """Reads and checks every file; prints the problems; (ward files, all fine)."""
    from ingest.province_config import (
        WardFile,
        cross_check,
        is_province_file,
        load_province_config,
    )
    from ingest.snapshot_draft import Problem
    from ingest.ward_config import ConfigProblem, WardConfigError, load_ward_config

    expanded = _expand(paths)
    if expanded is None:
        return [], False
    ok = True
    texts: dict[Path, str] = {}
    for path in expanded:
        text = _read_text(path)
        if text is None:
            ok = False
        else:
            texts[path] = text
    if not ok:
        return [], False

    # province files first: the wards they list are theirs
    owner: dict[Path, tuple[Path, ProvinceConfig]] = {}  # resolved ward file -> province
    order: list[Path] = []  # ward files in the order they are set up
    problems: dict[Path, list[ConfigProblem]] = {}
    for path, text in texts.items():
        if not is_province_file(text):
            continue
        try:
            province = load_province_config(text)
        except WardConfigError as exc:
            problems[path] = list(exc.problems)
            continue
        wards, unmatched = _province_wards(path, province)
        for pattern in unmatched:
            problems.setdefault(path, []).append(
                ConfigProblem(province.wards_line, Problem("no_ward_files", {"pattern": pattern}))
            )
        for ward in wards:
            key = ward.resolve()
            if key in owner and owner[key][0] != path:
                problems.setdefault(ward, []).append(
                    ConfigProblem(
                        None,
                        Problem(
                            "in_two_provinces", {"first": str(owner[key][0]), "other": str(path)}
                        ),
                    )
                )
                continue
            owner[key] = (path, province)
            order.append(ward)
    for path, text in texts.items():
        if not is_province_file(text) and path.resolve() not in owner:
            order.append(path)  # a ward on its own (or listed again beside its province)
    seen: set[Path] = set()
    files: list[WardFile] = []
    for path in order:
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        text = texts.get(path)
        if text is None:
            text = _read_text(path)
            if text is None:
                ok = False
                continue
        try:
            cfg = load_ward_config(text)
        except WardConfigError as exc:
            problems.setdefault(path, []).extend(exc.problems)
            continue
        listed = owner.get(key)
        if listed is None:
            files.append(WardFile(str(path), text, cfg))
            continue
        province_path, province = listed
        if not cfg.province:
            cfg = replace(cfg, province=province.name)
        files.append(WardFile(str(path), text, cfg, province, str(province_path)))
    for label, found in cross_check(files).items():
        problems.setdefault(Path(label), []).extend(found)
    for path, found in problems.items():
        _show_problems(path, found)
    if problems and (len(expanded) > 1 or owner):
        err(
            _(
                "No ward was written: wards set up together (a folder, a province) are "
                "written only once every file is right."
            )
        )
    return files, ok and not problems


async def cmd_setup(settings: Settings, paths: Path | list[Path]) -> int:
    from ingest.province_config import person_line
    from ingest.snapshot_draft import Problem
    from ingest.ward_config import ConfigProblem
    from store.setup import SetupConflict, apply_ward_config, province_conflicts

    files, ok = _collect([paths] if isinstance(paths, Path) else list(paths))
    if not ok:
        return 2
    names = [f.config.name for f in files]
    app = await open_app(settings)
    try:
        # against the database, still before anything is written
        clashes = False
        async with app.repo.sessions() as s:
            for ward in files:
                if ward.province is not None:
                    continue
                taken = [n for n in names if n != ward.config.name]
                conflicts = await province_conflicts(s, ward.config, taken)
                if conflicts:
                    clashes = True
                    _show_problems(
                        Path(ward.label),
                        [
                            ConfigProblem(
                                person_line(ward, c.index, c.key), Problem(c.code, dict(c.params))
                            )
                            for c in conflicts
                        ],
                    )
        if clashes:
            if len(files) > 1:
                err(_("No ward was written."))
            return 2
        done: list[str] = []
        for ward in files:
            staff = ward.province.people if ward.province is not None else None
            taken = [n for n in names if n != ward.config.name]
            try:
                async with app.repo.sessions.begin() as s:
                    summary = await apply_ward_config(
                        s, ward.config, app.services.clock.now(), staff, taken
                    )
            except SetupConflict:  # changed since the check (another setup ran meanwhile)
                err(
                    _(
                        "{ward} changed while it was being set up; run the setup again.",
                        ward=ward.config.name,
                    )
                )
                _report_partial(done, names)
                return 2
            except Exception:
                _report_partial(done, names)
                raise
            app.repo.invalidate()
            done.append(ward.config.name)
            _report(summary, ward)
    finally:
        await app.close()
    provinces = {f.province_label: f.province for f in files if f.province is not None}
    for label, province in provinces.items():
        assert province is not None
        count = sum(1 for f in files if f.province_label == label)
        out(
            _.plural(
                "{province}: {staff} provincial staff in its {n} ward.",
                "{province}: {staff} provincial staff in each of its {n} wards.",
                count,
                province=province.name,
                staff=len(province.people),
            )
        )
    return 0


def _report_partial(done: list[str], names: list[str]) -> None:
    if len(names) < 2:
        return
    left = [n for n in names if n not in done]
    err(
        _(
            "Set up before the error: {done}. Not set up: {left}.",
            done=", ".join(done) or "—",
            left=", ".join(left),
        )
    )


def _report(summary: SetupSummary, ward: WardFile) -> None:
    from handlers.labels import group_name

    cfg = ward.config
    verb = _("Created") if summary.created_ward else _("Updated")
    if summary.renamed_from:
        out(_("Renamed “{old}” to “{new}”.", old=summary.renamed_from, new=cfg.name))
    out(
        _(
            "{verb} {ward}: departments +{d_add}/~{d_upd}/−{d_rm}, people +{p_add}/~{p_upd}/"
            "−{p_rm}, chats +{c_add}/~{c_upd}.",
            verb=verb,
            ward=cfg.name,
            d_add=summary.added["departments"],
            d_upd=summary.updated["departments"],
            d_rm=summary.removed["departments"],
            p_add=summary.added["people"],
            p_upd=summary.updated["people"],
            p_rm=summary.removed["people"],
            c_add=summary.added["chats"],
            c_upd=summary.updated["chats"],
        )
    )
    if summary.deactivated:
        out(
            _.plural(
                "{n} chat is no longer in the file and was deactivated (it gets no notices, "
                "reminders or broadcasts): {chats}.",
                "{n} chats are no longer in the file and were deactivated (they get no notices, "
                "reminders or broadcasts): {chats}.",
                len(summary.deactivated),
                chats=", ".join(summary.deactivated),
            )
        )
    if cfg.groups_without_owner:
        out(
            _(
                "Warning: no department owns {groups} ([group_owners] in the file), so answers "
                "about these groups cannot say who is in charge.",
                groups=", ".join(group_name(g, _) for g in cfg.groups_without_owner),
            )
        )
