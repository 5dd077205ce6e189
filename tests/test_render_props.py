"""Rendering user text never produces something the platform refuses (issue #10): user text
is escaped once, the bot's own marks never nest wrongly, and marks typed by a person stay
literal. Checked with the fake Bot API's HTML parser (Telegram's rules)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.render import split_text, to_html, to_plain
from handlers.protocol import literal
from tests.fakes.telegram_api import parse_html

# text a person could type, rich in the characters that matter to markup and HTML
MARKUP_BITS = ["**", "*", "`", "``", "<", ">", "&", "&amp;", "&lt;", "\\", "@[x](user:1)", "\n"]
user_text = st.lists(
    st.one_of(st.text(max_size=12), st.sampled_from(MARKUP_BITS)), max_size=20
).map("".join)


def visible(html_text: str) -> str:
    text, _entities = parse_html(html_text)
    return text


@given(user_text)
@example("**a `b** c`")
@example("@[Lan](user:42) **")
@example("a\\")
@example("\\*\\`")
@example("`**`**")
@settings(max_examples=400, deadline=None)
def test_user_text_renders_as_typed_in_telegram_html(text: str) -> None:
    assert visible(to_html(literal(text))) == text


@given(user_text)
@example("**a `b** c`")
@example("x\\")
@settings(max_examples=400, deadline=None)
def test_user_text_renders_as_typed_in_plain_text(text: str) -> None:
    assert to_plain(literal(text)) == text


@given(user_text, user_text, user_text)
@example("**a `b** c`", "x", "`")
@example("a\\", "\\", "@[y](user:2)")
@settings(max_examples=300, deadline=None)
def test_bot_markup_around_user_text_never_breaks(a: str, b: str, c: str) -> None:
    reply = (
        f"📄 **Task #3** {literal(a)}\n"
        f"**{literal(b)}** `code` @[Lan](user:42) **bold `code` {literal(c)}**"
    )
    html_text = to_html(reply)
    expected = f"📄 Task #3 {a}\n{b} code Lan bold code {c}"
    assert visible(html_text) == expected
    assert to_plain(reply) == expected.replace("Lan", "@Lan")  # Zalo names the person


@given(st.text(alphabet="*`\\@[]()user:1 ab<&\n", max_size=60))
@settings(max_examples=400, deadline=None)
def test_any_markup_at_all_is_valid_html(text: str) -> None:
    """Even text that never went through `literal` (unmatched, overlapping or empty marks)
    renders to HTML Telegram accepts."""
    parse_html(to_html(text))


@given(user_text)
@settings(max_examples=200, deadline=None)
def test_every_part_of_a_split_reply_is_valid_html(text: str) -> None:
    reply = f"**{literal(text)}** and `{literal('x*y')}`\n" * 3
    for part in split_text(reply, 40):
        parse_html(to_html(part))


def test_overlapping_marks_of_the_issue() -> None:
    """`**a `b** c`` once became invalid HTML: now the code span wins and the bold mark
    without a partner is text."""
    html_text = to_html("**a `b** c`")
    assert visible(html_text) == "**a b** c"
    assert "<code>b** c</code>" in html_text
    # bold around code closes and reopens instead of nesting a tag inside <code>
    assert to_html("**x `y` z**") == "<b>x </b><code>y</code><b> z</b>"
