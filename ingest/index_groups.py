"""The six groups of the 766 index as data: codes, maxima, portal names and spellings.

Everything that names a group (score readers, formatters, charts, the portal field map) reads
this one table. The portal's older report service names fields whose mapping for online
service vs. online payment is uncertain (see DOMAIN.md); the guess lives here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class IndexGroup:
    code: str
    max_score: Decimal
    name_vi: str  # exactly as the national portal writes it
    name_en: str
    portal_field: str
    aliases: tuple[str, ...]  # other spellings seen in ward documents (any diacritics)


GROUPS: tuple[IndexGroup, ...] = (
    IndexGroup(
        "cong_khai",
        Decimal("18"),
        "Công khai, minh bạch",
        "Publicity and transparency",
        "CKMB",
        ("công khai minh bạch", "công khai", "ckmb", "minh bạch"),
    ),
    IndexGroup(
        "tien_do",
        Decimal("20"),
        "Tiến độ giải quyết",
        "Timeliness of processing",
        "TDGQ",
        ("tiến độ giải quyết công việc", "tiến độ, kết quả giải quyết", "tiến độ", "tdgq"),
    ),
    IndexGroup(
        "dvc_truc_tuyen",
        Decimal("12"),
        "Dịch vụ công trực tuyến",
        "Online public services",
        "TTTT",
        ("dịch vụ công trực tuyến", "dvc trực tuyến", "dvctt", "dvc", "dịch vụ trực tuyến"),
    ),
    IndexGroup(
        "thanh_toan",
        Decimal("10"),
        "Thanh toán trực tuyến",
        "Online payment",
        "CLGQ",
        ("thanh toán trực tuyến", "thanh toán", "tttt", "clgq"),
    ),
    IndexGroup(
        "hai_long",
        Decimal("18"),
        "Mức độ hài lòng",
        "Satisfaction",
        "MDHL",
        ("mức độ hài lòng", "hài lòng", "mdhl"),
    ),
    IndexGroup(
        "so_hoa",
        Decimal("22"),
        "Số hóa hồ sơ",
        "Digitisation of records",
        "MDSH",
        ("số hóa hồ sơ", "số hoá hồ sơ", "số hóa", "mdsh"),
    ),
)

TOTAL_MAX = Decimal("100")
BY_CODE: dict[str, IndexGroup] = {g.code: g for g in GROUPS}
GROUP_CODES: tuple[str, ...] = tuple(g.code for g in GROUPS)
PORTAL_FIELDS: dict[str, str] = {g.portal_field: g.code for g in GROUPS}

# Rating bands, highest first: (lower bound inclusive, code). Only Xuất sắc (90) and Tốt (80)
# are confirmed by published cases; the lower cut-offs are the usual guess (DOMAIN.md).
BANDS: tuple[tuple[Decimal, str], ...] = (
    (Decimal("90"), "xuat_sac"),
    (Decimal("80"), "tot"),
    (Decimal("70"), "kha"),
    (Decimal("50"), "trung_binh"),
    (Decimal("0"), "yeu"),
)


def band_for(total: Decimal) -> str:
    for floor, code in BANDS:
        if total >= floor:
            return code
    return BANDS[-1][1]
