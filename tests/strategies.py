"""What hypothesis sends to the forms and query strings: all of Unicode, numbers past 64 bits.

A plain `st.text()` almost never draws the characters that break parsers, so they are drawn
on purpose: digits of other scripts and superscripts (`"²".isdigit()` is true, `int("²")`
raises; `int("٣")` is 3), the last code point U+10FFFF, the neighbours of the surrogate range
(U+D7FF, U+E000), U+FFFF, NUL and a right-to-left mark. Lone surrogates themselves cannot be
carried by UTF-8, hence by a request: the server sees U+FFFD for them, which is drawn too.
"""
from hypothesis import strategies as st

TRICKY_CHARACTERS = ("²", "³", "¹", "½", "٣", "३", "௫", "๓", "０", "𝟘", "Ⅻ", "\ud7ff", "\ue000", "\uffff", "\U0010ffff",
                     "\ufffd", "\x00", "\u200f", "ß", "Œ", "İ", "ﬁ", "/", "%", "=", "+", "-", "@", "\t", "\r")
BIG = 2**80

character = st.one_of(st.characters(exclude_categories=("Cs",)), st.sampled_from(TRICKY_CHARACTERS))
#: Any text a browser can send, the tricky characters often.
any_text = st.text(alphabet=character, max_size=200)
#: Text that str.isdigit() accepts, from every script and superscripts: "²", "1٣", "０７".
digit_like = st.text(alphabet=st.one_of(st.sampled_from("0123456789"), st.sampled_from("¹²³⁰⁴⁵⁶⁷⁸⁹₀₁₂①"),
                                        st.characters(categories=("Nd",))), min_size=1, max_size=25)
#: Whole numbers far beyond 64 bits either way, as text.
big_number = st.integers(min_value=-BIG, max_value=BIG).map(str)
#: A quote identifier with a version: "RIS-0000000001/²", "/99999999999999999999999".
identifier = st.builds(lambda number, version: f"{number}/{version}", st.sampled_from(["", "RIS-", "RIS-0000000001", "TIS"]),
                       st.one_of(digit_like, big_number, any_text))
CLASSICS = ["", " ", "<script>alert(1)</script>", "\x00", "é" * 5000, "2026-02-30", "31/12/9999", "-1", "1e308", "%",
            "../../etc", "\U0010ffff", "\ud7ff", "²", "99999999999999999999999"]
#: What every field and parameter is fuzzed with.
anything = st.one_of(any_text, digit_like, big_number, identifier, st.sampled_from(CLASSICS))
