"""Finding a department of the ward in what people type ("phòng VH-XH", "vhxh")."""

from __future__ import annotations

import re

from ingest.textnorm import fold_name
from store.records import DepartmentRec, WardRec


def _forms(dept: DepartmentRec) -> list[str]:
    forms = {fold_name(n) for n in (dept.code, dept.name, *dept.aliases) if n}
    forms |= {f.replace(" - ", "").replace("-", "").replace(" ", "") for f in list(forms)}
    forms |= {f.replace(" - ", " ").replace("-", " ") for f in list(forms)}
    return sorted(forms, key=len, reverse=True)


def resolve_department(ward: WardRec, arg: str) -> DepartmentRec | None:
    """The department the whole argument names (a code, its name or an alias)."""
    wanted = fold_name(arg)
    squeezed = wanted.replace(" - ", "").replace("-", "").replace(" ", "")
    for dept in ward.departments:
        forms = _forms(dept)
        if wanted in forms or squeezed in forms:
            return dept
    return None


def find_department(ward: WardRec, text: str) -> DepartmentRec | None:
    """A department named somewhere in a sentence: the longest name found wins."""
    return split_department(ward, text)[0]


def split_department(ward: WardRec, text: str) -> tuple[DepartmentRec | None, str]:
    """The department named in a sentence, and the sentence (folded) without its name."""
    folded = fold_name(text)
    variants = (folded, " ".join(w.replace("-", "") for w in folded.split()))
    best: tuple[int, DepartmentRec, str] | None = None
    for dept in ward.departments:
        for form in _forms(dept):
            if len(form) < 2:
                continue
            pattern = re.compile(rf"(?<![\w]){re.escape(form)}(?![\w])")
            for variant in variants:
                if pattern.search(variant) and (best is None or len(form) > best[0]):
                    best = (len(form), dept, pattern.sub(" ", variant, count=1))
    if best is None:
        return None, folded
    return best[1], " ".join(best[2].split())
