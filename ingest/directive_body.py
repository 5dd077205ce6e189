"""The body of a directive: sections, the units they address, and the tasks under them.

Steps:
1. Lines are joined into items (directive_items): one list item or paragraph each, whatever the
   hard wraps of a PDF or Word file; a task table is one item.
2. Items are nested by marker type (the first type seen is the outermost). A heading names
   units ("3. Phòng Văn hóa - Xã hội", "1.1. Giao Sở Xây dựng", "2. Công chức Văn phòng Đảng
   ủy- Nội vụ: <task on the same line>"), a topic ("1. Về dữ liệu"), or a part that holds no
   tasks ("I. MỤC ĐÍCH, YÊU CẦU", "I. ĐÁNH GIÁ CHUNG", "I. KẾT QUẢ ...").
3. Every other item in a task part is a task: bullets, lettered items, numbered sentences,
   paragraphs under a unit. Not tasks: the preamble (before the first marker), introductions
   ending with ":" ("... thực hiện tốt các nội dung sau:"), the closing ("./.", "chịu trách
   nhiệm trước Chủ tịch", "nghiêm túc triển khai"), "Nơi nhận" and the signature.
4. Each task's lead (directive_roles): "Giao X ...", "Đề nghị X ..." or "X chủ trì" in its
   sentence, else the units of its section, else a unit at the start of its sentence ("Ban Quản
   lý ... báo cáo ..."), else the units the preamble addresses ("yêu cầu các phòng, đơn vị ..."),
   else the "Kính gửi" list. Support: "chủ trì, phối hợp (với) Y, Z", "X chủ trì, Y phối hợp"
   and a task that begins with "Phối hợp với Y". "Các phòng, đơn vị chuyên môn" means every
   professional department (minus a department the task names as support).
5. Deadlines come from ingest.deadlines. A paragraph that only gives a time ("Thời gian hoàn
   thành trước ngày 31 tháng 12 năm 2025.", "Báo cáo của các cơ quan, đơn vị gửi về ... trước
   ngày 12/6/2026 ...") sets it for the tasks before it in its section; fields ("a) Nhiệm vụ:",
   "- Đơn vị chủ trì:", "c) Thời gian thực hiện:") set the task, lead, support and time of their
   block; task tables give them per row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.deadlines import Deadline, parse_deadline
from ingest.directive_header import Line
from ingest.directive_items import FIGURES, Item, is_upper, join_items
from ingest.directive_roles import (
    CLOSING_ANY,
    CLOSING_END,
    CLOSING_START,
    Roles,
    addressed,
    cell_units,
    field_of,
    heading_units,
    is_closing,
    is_deadline_paragraph,
    is_preamble,
    read_roles,
    split_roles,
)
from ingest.directive_units import Assignee, UnitResolver, is_professional_group, is_vague
from ingest.textnorm import fold

# =============================================================================================
# Vocabulary (folded unless said otherwise)
# =============================================================================================

# Headings of parts that hold no tasks.
NONTASK_HEADINGS = (
    "muc dich",
    "yeu cau",
    "muc tieu",
    "doi tuong",
    "pham vi",
    "danh gia chung",
    "danh gia ket qua",
    "ket qua",
    "tinh hinh",
    "thuc trang",
    "quan diem",
    "nguyen tac",
    "can cu",
    "boi canh",
    "su can thiet",
    "chi tieu",
    "ton tai",
    "han che",
    "nguyen nhan",
    "bai hoc",
    "thong tin chung",
)
# Headings of parts that hold tasks (they override a non-task parent).
TASK_HEADINGS = ("nhiem vu", "giai phap", "to chuc thuc hien", "phan cong", "trach nhiem")
# A list in the preamble that only gives the legal bases ("- Luật Tổ chức chính quyền ...;").
LEGAL_BASES = ("can cu", "luat ", "nghi dinh", "thong tu", "nghi quyet so", "quyet dinh so")
# Paragraphs that are never tasks, wherever they are.
NOT_TASK_OPENERS = ("can cu", "tren day la", "noi nhan")
MAX_HEADING_WORDS = 22

# =============================================================================================


@dataclass(frozen=True)
class Task:
    text: str
    lead: tuple[Assignee, ...]
    support: tuple[Assignee, ...]
    deadline: dt.date | None
    recurrence: str | None
    deadline_text: str | None
    deadline_kind: str | None
    source_line: int
    section: str | None


@dataclass
class _Draft:
    text: str
    lead: list[Assignee]
    lead_explicit: bool
    support: list[Assignee]
    deadline: Deadline | None
    source_line: int
    section: str | None
    named: list[str] = field(default_factory=list)  # units its own sentence names


@dataclass
class _Frame:
    mtype: str | None
    item: Item | None
    heading: bool
    units: list[str] | None = None  # phrases as written
    nontask: bool = False
    label: str | None = None
    drafts: list[_Draft] = field(default_factory=list)
    field_lead: list[str] | None = None
    field_support: list[str] | None = None
    field_deadline: Deadline | None = None
    is_field: bool = False


class BodyReader:
    def __init__(
        self,
        resolver: UnitResolver,
        reference: dt.date | None,
        addressees: Sequence[str] = (),
    ) -> None:
        self.resolver = resolver
        self.reference = reference
        self.addressees = list(addressees)
        self.tasks: list[Task] = []
        self.unknown: list[str] = []
        self.default_units: list[str] = []

    # units -> assignees

    def assignees(self, phrases: Sequence[str], *, lead: bool) -> list[Assignee]:
        out: list[Assignee] = []
        concrete = [p for p in phrases if not is_vague(p)]
        for phrase in phrases:
            if is_vague(phrase) and (not lead or concrete):
                continue
            if self.resolver.units and is_professional_group(phrase):
                out += [Assignee(u.name, u.code) for u in self.resolver.professional]
                continue
            code = self.resolver.resolve(phrase)
            unknown = code is None and lead and self.resolver.units and not is_vague(phrase)
            if unknown and phrase not in self.unknown:
                self.unknown.append(phrase)
            out.append(Assignee(phrase, code))
        return _merge(out, [])

    # segments

    def read(self, lines: Sequence[Line], start: int, stop: int) -> None:
        # tables of figures (score tables) are read by ingest.score_text, never as tasks
        items = [i for i in join_items(lines, start, stop, self.resolver) if i.mtype != FIGURES]
        stack: list[_Frame] = [_Frame(None, None, heading=True)]
        in_body = False
        done = False
        loose: list[Item] = []  # paragraphs outside any list, for a letter without one
        for pos, item in enumerate(items):
            if item.table is not None:
                self._table(item, stack)
                continue
            if done:
                continue
            f = fold(item.text)
            if item.mtype is None and f.startswith("noi nhan"):
                done = True
                continue
            nxt_item = items[pos + 1] if pos + 1 < len(items) else None
            opener = nxt_item is not None and nxt_item.mtype is None and is_preamble(nxt_item.text)
            if (
                item.mtype is None
                and not (opener and not in_body)
                and not self._intro_inside_section(item, stack)
                and self._plain_heading(item, items, pos)
            ):
                item.mtype = "plain"  # "Phòng Văn hóa - Xã hội:" on a line of its own
            if item.mtype is None and not in_body:
                loose.append(item)
                found = addressed(item.text, self.resolver)
                if found:  # "Chủ tịch UBND phường yêu cầu các phòng, đơn vị ..."
                    self.default_units = found
                continue
            if item.mtype is not None and not in_body:
                if any(f.startswith(w) for w in LEGAL_BASES):
                    continue  # a list of legal bases in the preamble
                in_body = True
            if item.mtype is None:
                if is_closing(item.text):
                    loose.append(item)
                    if CLOSING_END.search(item.text):
                        done = True
                    continue
                self._paragraph(item, stack)
                continue
            self._pop_to(stack, item.mtype)
            nxt = items[pos + 1] if pos + 1 < len(items) else None
            frame = self._marker_item(item, stack, nxt)
            stack.append(frame)
            if CLOSING_END.search(item.text) and is_closing(item.text):
                done = True
        if not in_body and not any(f.drafts for f in stack):
            self._letter(loose, stack[0])
        while len(stack) > 1:
            self._finish(stack.pop(), stack)
        self._finish(stack[0], [])

    def _letter(self, paragraphs: Sequence[Item], root: _Frame) -> None:
        """A letter with no list: each paragraph that gives a unit work is a task
        ("Đề nghị Phòng Văn hóa - Xã hội tuyên truyền ...; hoàn thành trước ngày 20/12./.")."""
        for item in paragraphs:
            text = CLOSING_END.sub(".", item.text).strip()
            f = fold(text)
            if is_preamble(text) or any(c in f for c in CLOSING_ANY):
                continue
            if any(f.startswith(c) for c in CLOSING_START) or text.endswith(":"):
                continue
            roles = read_roles(text, self.resolver)
            named = [p for p in addressed(text, self.resolver) if not is_vague(p)]
            if named:  # "UBND phường đề nghị Phòng X ..."
                roles.explicit = named
            subject = [p for p in roles.subject if not is_vague(p)]
            if roles.explicit or subject:
                self._task(text, item.line_no, [root], root, roles=roles)

    def _intro_inside_section(self, item: Item, stack: Sequence[_Frame]) -> bool:
        """An introduction ("... kết quả như sau:") under a numbered section that an earlier
        introduction opened: it stays inside the section instead of closing it."""
        types = [f.mtype for f in stack]
        if "plain" not in types or stack[-1].mtype == "plain":
            return False
        if heading_units(item.text.rstrip(), self.resolver) is not None:
            return False
        return item.text.rstrip().endswith(":")

    def _plain_heading(self, item: Item, items: Sequence[Item], pos: int) -> bool:
        """An unmarked line that heads the items after it: "Phòng Văn hóa - Xã hội:", or an
        introduction "... đề nghị các phòng, đơn vị thực hiện các nội dung sau:"."""
        text = item.text.rstrip()
        nxt = items[pos + 1] if pos + 1 < len(items) else None
        heading = heading_units(text, self.resolver)
        if heading is not None:
            units, inline = heading
            if inline:
                return bool(units) and len(text.split(":")[0].split()) <= MAX_HEADING_WORDS
            return nxt is not None  # a line that is only a unit's name
        if not text.endswith(":") or nxt is None or nxt.table is not None:
            return False
        return nxt.mtype is not None or bool(addressed(text, self.resolver))

    def _pop_to(self, stack: list[_Frame], mtype: str) -> None:
        types = [f.mtype for f in stack]
        if mtype in types:
            while len(stack) > 1 and stack[-1].mtype != mtype:
                self._finish(stack.pop(), stack)
            if len(stack) > 1:
                self._finish(stack.pop(), stack)

    def _finish(self, frame: _Frame, parents: list[_Frame]) -> None:
        """A frame ends: fields of its block apply to its tasks, which pass to the parent."""
        owner = frame
        if (
            not frame.drafts
            and frame.item is not None
            and frame.heading
            and not frame.is_field
            and (frame.field_lead or frame.field_deadline)
            and not self._nontask([*parents, frame])
        ):
            # "1. Rà soát ..." with only "- Đơn vị chủ trì: ..." and "- Thời gian: ..." under it:
            # the heading is the task
            section = self._section(parents) if parents else None
            draft = self._draft(frame.item.text, [], False, [], None, frame.item.line_no, section)
            draft.deadline = parse_deadline(frame.item.text, reference=self.reference)
            frame.drafts.append(draft)
        if frame.field_lead is not None or frame.field_support is not None:
            leads = self.assignees(frame.field_lead or [], lead=True)
            support = self.assignees(frame.field_support or [], lead=False)
            for d in frame.drafts:
                if frame.field_lead and not d.lead_explicit:
                    d.lead = leads
                if support:
                    d.support = _merge(d.support, support)
        if frame.field_deadline is not None:
            for d in frame.drafts:
                if d.deadline is None:
                    d.deadline = frame.field_deadline
        if parents:
            parents[-1].drafts += owner.drafts
        else:
            for d in owner.drafts:
                self.tasks.append(self._freeze(d))

    def _freeze(self, d: _Draft) -> Task:
        dl = d.deadline
        leads = {_key(a) for a in d.lead}
        support = list({_key(s): s for s in d.support if _key(s) not in leads}.values())
        return Task(
            text=d.text,
            lead=tuple(d.lead),
            support=tuple(support),
            deadline=dl.date if dl else None,
            recurrence=dl.recurrence if dl else None,
            deadline_text=dl.text if dl else None,
            deadline_kind=dl.kind if dl else None,
            source_line=d.source_line,
            section=d.section,
        )

    # context

    def _nontask(self, stack: Sequence[_Frame]) -> bool:
        return any(f.nontask for f in stack)

    def _ctx_units(self, stack: Sequence[_Frame]) -> list[str] | None:
        """Units of the nearest section that names some ("các cơ quan, đơn vị" names none)."""
        for f in reversed(stack):
            if f.units and not all(is_vague(p) for p in f.units):
                return f.units
        return None

    def _section(self, stack: Sequence[_Frame]) -> str | None:
        for f in reversed(stack):
            if f.heading and f.label and not f.is_field:
                return f.label
        return None

    def _block(self, stack: Sequence[_Frame]) -> _Frame:
        """The frame that owns fields: the nearest heading that is not a field itself."""
        for f in reversed(stack):
            if f.heading and not f.is_field:
                return f
        return stack[0]

    # items

    def _marker_item(self, item: Item, stack: list[_Frame], nxt: Item | None) -> _Frame:
        text = item.text
        frame = _Frame(item.mtype, item, heading=False, label=item.raw)
        deeper = (
            nxt is not None
            and nxt.table is None
            and nxt.mtype is not None
            and nxt.mtype not in [f.mtype for f in stack] + [item.mtype]
        )
        has_children = deeper or (nxt is not None and nxt.table is None and nxt.mtype is None)
        fld = field_of(text)
        if fld is not None:
            self._field_item(fld, item, stack, frame)
            return frame
        heading = heading_units(text, self.resolver)
        f = fold(text).strip(" :")
        short = len(text.split()) <= MAX_HEADING_WORDS and not re.search(r"[.;]$", text)
        if heading is not None:
            units, inline = heading
            frame.heading = True
            frame.units = units
            label = item.raw[: len(item.raw) - len(inline)] if inline else item.raw
            frame.label = re.sub(r"\s*:\s*$", "", label).strip()
            if inline:
                self._task(inline, item.line_no, [*stack, frame], frame)
            return frame
        if item.mtype == "plain":
            # an introduction: its subject is the issuer; only whom it addresses counts
            frame.heading = True
            frame.label = None
            frame.nontask = any(f.startswith(w) for w in NONTASK_HEADINGS)
            frame.units = addressed(text, self.resolver) or None
            return frame
        kind_heading = item.mtype in ("roman", "upper", "article") or is_upper(text)
        if (kind_heading or (short and has_children)) and short:
            frame.heading = True
            if any(f.startswith(w) for w in NONTASK_HEADINGS):
                frame.nontask = True
            if any(w in f for w in TASK_HEADINGS):
                frame.nontask = False
            # "3. Văn phòng ... chủ trì, phối hợp với Trung tâm PVHCC:" then the tasks
            roles = read_roles(text, self.resolver)
            intro = addressed(text, self.resolver) if text.rstrip().endswith(":") else []
            frame.units = roles.explicit or roles.subject or intro or None
            frame.field_support = roles.support or None
            return frame
        if self._nontask(stack):
            return frame
        if item.mtype == "article" and not read_roles(text, self.resolver).explicit:
            return frame
        if text.rstrip().endswith(":") and has_children:
            # "3. Văn phòng ... chủ trì, phối hợp với Trung tâm PVHCC:" then the tasks
            frame.heading = True
            roles = read_roles(text, self.resolver)
            frame.units = roles.explicit or roles.subject or addressed(text, self.resolver) or None
            frame.field_support = roles.support or None
            return frame
        roles = read_roles(text, self.resolver)
        self._task(text, item.line_no, stack, frame, roles=roles)
        if deeper:
            # "1. Sở X theo dõi ...;" followed by "- ...": the bullets are Sở X's as well
            ctx = self._ctx_units(stack)
            frame.units = roles.explicit or (None if ctx else roles.subject) or None
        return frame

    def _field_item(
        self, fld: tuple[str, str], item: Item, stack: list[_Frame], frame: _Frame
    ) -> None:
        role, value = fld
        frame.heading = True
        frame.is_field = True
        block = self._block(stack)
        if role == "task":
            if value:
                self._task(value, item.line_no, stack, frame)
        elif role in ("lead", "support") and value:
            phrases = cell_units(value, self.resolver)
            if role == "lead":
                block.field_lead = (block.field_lead or []) + phrases
            else:
                block.field_support = (block.field_support or []) + phrases
        elif role == "deadline" and value:
            block.field_deadline = parse_deadline(value, reference=self.reference)

    def _paragraph(self, item: Item, stack: list[_Frame]) -> None:
        text = item.text
        if self._nontask(stack):
            return
        f = fold(text)
        if any(f.startswith(w) for w in NOT_TASK_OPENERS):
            return
        deadline = parse_deadline(text, reference=self.reference)
        if is_deadline_paragraph(text, deadline, self.resolver):
            owner = stack[-1] if len(stack) > 1 else stack[0]
            for frame in reversed(stack):
                if frame.heading:
                    owner = frame
                    break
            for d in _all_drafts(stack, owner):
                if d.deadline is None:
                    d.deadline = deadline
            return
        fld = field_of(text)
        if fld is not None:
            self._field_item(fld, item, stack, _Frame(None, item, heading=False))
            return
        if text.rstrip().endswith(":"):
            found = addressed(text, self.resolver)
            if found:
                target = self._block(stack)
                if target is stack[0]:
                    self.default_units = found
                elif not target.units:
                    target.units = found
            return
        at_top = all(not fr.heading or fr is stack[0] for fr in stack)
        roles = read_roles(text, self.resolver)
        if at_top and not (roles.explicit or roles.subject):
            return
        self._task(text, item.line_no, stack, stack[-1], roles=roles)

    def _table(self, item: Item, stack: list[_Frame]) -> None:
        table = item.table
        assert table is not None
        ctx = self._ctx_units(stack)
        for row in table.rows:
            lead_cell, support_cell = split_roles(row.lead or ""), row.support or ""
            if lead_cell[1]:
                support_cell = f"{support_cell}; {lead_cell[1]}" if support_cell else lead_cell[1]
            lead_phrases = cell_units(lead_cell[0], self.resolver) if lead_cell[0] else []
            support_phrases = cell_units(support_cell, self.resolver) if support_cell else []
            roles = read_roles(row.task, self.resolver)
            explicit = bool(lead_phrases or roles.explicit)
            leads = lead_phrases or roles.explicit or ctx or roles.subject or self.default_units
            deadline = None
            if row.deadline:
                deadline = parse_deadline(row.deadline, reference=self.reference)
            if deadline is None:
                deadline = parse_deadline(row.task, reference=self.reference)
            draft = self._draft(
                row.task,
                leads,
                explicit,
                support_phrases + roles.support,
                deadline,
                row.line_no,
                row.group or self._section(stack),
            )
            stack[-1].drafts.append(draft)

    def _task(
        self,
        text: str,
        line_no: int,
        stack: Sequence[_Frame],
        frame: _Frame,
        roles: Roles | None = None,
    ) -> _Draft | None:
        if self._nontask(stack):
            return None
        roles = roles or read_roles(text, self.resolver)
        ctx = self._ctx_units(stack)
        if roles.explicit:
            leads, explicit = roles.explicit, True
        elif ctx:
            leads, explicit = ctx, False
        elif roles.subject and not all(is_vague(p) for p in roles.subject):
            leads, explicit = roles.subject, False
        elif self._named_before(stack, frame):
            leads, explicit = self._named_before(stack, frame), False
        else:
            leads, explicit = self._defaults(), False
        deadline = parse_deadline(text, reference=self.reference)
        draft = self._draft(
            text, leads, explicit, roles.support, deadline, line_no, self._section(stack)
        )
        named = roles.explicit or roles.subject
        draft.named = [p for p in named if not is_vague(p)]
        frame.drafts.append(draft)
        return draft

    def _named_before(self, stack: Sequence[_Frame], frame: _Frame) -> list[str]:
        """Units the sentence just before names, in the same item: "- Phòng X tuyên truyền
        ...;" then "- Hướng dẫn người dân ..." under a heading that names no unit."""
        owner = frame if frame.drafts else (stack[-1] if stack else frame)
        if not owner.drafts:
            return []
        return owner.drafts[-1].named

    def _defaults(self) -> list[str]:
        """Units of a task nothing else assigns: the preamble's, else the "Kính gửi" list."""
        if self.default_units and not all(is_vague(p) for p in self.default_units):
            return self.default_units
        return self.addressees or self.default_units

    def _draft(
        self,
        text: str,
        leads: Sequence[str],
        explicit: bool,
        supports: Sequence[str],
        deadline: Deadline | None,
        line_no: int,
        section: str | None,
    ) -> _Draft:
        support = self.assignees(supports, lead=False)
        lead = self.assignees(leads, lead=True)
        fanned = len(lead) > 1 and any(is_professional_group(p) for p in leads)
        if fanned:
            named = {s.code for s in support if s.code}
            kept = [a for a in lead if a.code not in named]
            lead = kept or lead
        support = [s for s in support if _key(s) not in {_key(a) for a in lead}]
        return _Draft(
            re.sub(r"\s+", " ", text).strip(),
            lead,
            explicit,
            support,
            deadline,
            line_no,
            section,
        )


def _key(a: Assignee) -> str:
    return a.code or fold(a.written)


def _merge(a: Sequence[Assignee], b: Sequence[Assignee]) -> list[Assignee]:
    out = {_key(x): x for x in a}
    for x in b:
        out.setdefault(_key(x), x)
    return list(out.values())


def _all_drafts(stack: Sequence[_Frame], owner: _Frame) -> list[_Draft]:
    """Drafts collected so far in owner and the frames open below it."""
    out: list[_Draft] = []
    seen = False
    for frame in stack:
        if frame is owner:
            seen = True
        if seen:
            out += frame.drafts
    return out
