"""Translated names for data codes: index groups, rating bands, periods, chat kinds, roles."""

from __future__ import annotations

from ingest.index_groups import BY_CODE, band_for
from locales import N_, Translator
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
# Kinds of document the directive reader recognises (codes from ingest/directive_header.py).
DOCUMENT_KINDS = {
    "chi_thi": N_("Directive"),
    "cong_van": N_("Official letter"),
    "ke_hoach": N_("Plan"),
    "thong_bao": N_("Notice"),
    "thong_bao_ket_luan": N_("Notice of conclusions"),
    "ket_luan": N_("Conclusions"),
    "quyet_dinh": N_("Decision"),
    "bao_cao": N_("Report"),
    "to_trinh": N_("Submission"),
    "giay_moi": N_("Invitation"),
    "huong_dan": N_("Guidance"),
    "chuong_trinh": N_("Programme"),
    "nghi_quyet": N_("Resolution"),
    "phuong_an": N_("Scheme"),
    "de_an": N_("Project"),
    "quy_che": N_("Regulation"),
    "cong_dien": N_("Urgent dispatch"),
    "phu_luc": N_("Appendix"),
}


def document_kind(kind: str | None, _: Translator) -> str:
    return _(DOCUMENT_KINDS.get(kind or "", N_("Document")))


ROLE_NAMES = {
    "chairman": N_("chairman"),
    "vice_chairman": N_("vice chairman"),
    "admin": N_("administrator"),
    "staff": N_("staff"),
    "digital_team": N_("community digital team"),
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
