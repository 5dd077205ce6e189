"""Translated names for data codes: index groups, rating bands, periods, chat kinds, roles."""

from __future__ import annotations

from ingest.index_groups import BY_CODE, band_for
from locales import N_, Translator
from reminders.wording import DOCUMENT_KINDS as DOCUMENT_KINDS  # shared with the reminders
from reminders.wording import document_kind as document_kind
from store.records import SnapshotRec

BAND_NAMES = {
    "xuat_sac": N_("Excellent"),
    "tot": N_("Good"),
    "kha": N_("Fair"),
    "trung_binh": N_("Average"),
    "yeu": N_("Weak"),
}
CHAT_KIND_NAMES = {
    "department": N_("department chat"),
    "leadership": N_("leadership chat"),
    "staff": N_("staff chat"),
    "residents": N_("residents' chat"),
}
ROLE_NAMES = {
    "chairman": N_("chairman"),
    "vice_chairman": N_("vice chairman"),
    "admin": N_("administrator"),
    "staff": N_("staff"),
    "digital_team": N_("community digital team"),
    "province": N_("provincial staff"),
}


def group_name(code: str, _: Translator) -> str:
    group = BY_CODE.get(code)
    if group is None:
        return code
    return group.name_vi if _.lang == "vi" else group.name_en


def band_name(total: object, _: Translator) -> str:
    from decimal import Decimal

    return _(BAND_NAMES[band_for(Decimal(str(total)))])


def period_name(snap: SnapshotRec, _: Translator) -> str:
    return period_label(snap.period_kind, snap.year, snap.period, _)


def period_label(kind: str, year: int, period: int | None, _: Translator) -> str:
    if kind == "month":
        return _("month {month}/{year}", month=period, year=year)
    if kind == "quarter":
        return _("quarter {quarter}/{year}", quarter=period, year=year)
    if kind == "half":
        if period == 1:
            return _("first half of {year}", year=year)
        return _("second half of {year}", year=year)
    return _("year-to-date {year}", year=year)
