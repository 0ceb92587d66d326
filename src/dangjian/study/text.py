"""Chinese text for the library: jieba tokens, search terms, keywords, passages, abstracts.

One tokenizer feeds every database: jieba's words plus, for long words, their dictionary
sub-words (what `jieba.cut_for_search` adds), so 中心组 is found by 中心 too. Each term is
written with a "__" suffix: MariaDB's InnoDB FULLTEXT keeps only words of three or more
characters (`innodb_ft_min_token_size`), and `学__` is three; SQLite's unicode61 tokenizer and
PostgreSQL's parser treat "_" as a separator, so there the suffix disappears on both the indexed
and the query side. The same stored column therefore works unchanged on all three engines.
"""

from __future__ import annotations

import html
import logging
import math
import re
from collections import Counter
from functools import cache

SUFFIX = "__"
MAX_TERM = 40  # InnoDB drops words over 84 characters; no real word is this long
# Characters whose text is indexed: a longer text is stored and shown whole but searched in its
# first part (PostgreSQL refuses a tsvector over 1 MB).
INDEX_CHARS = 300_000
KEYWORDS = 20

_WORD = re.compile(r"[^\W_]+")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SENTENCE_END = "。！？!?；;：:”’」』）)】"
# A few function words jieba's TF-IDF table still ranks high in party documents.
STOP_WORDS = frozenset(
    [
        "我们",
        "你们",
        "他们",
        "它们",
        "自己",
        "这个",
        "那个",
        "这些",
        "那些",
        "这样",
        "那样",
        "一个",
        "一些",
        "没有",
        "就是",
        "还是",
        "以及",
        "或者",
        "但是",
        "而且",
        "因为",
        "所以",
        "如果",
        "虽然",
        "可以",
        "进行",
        "通过",
        "对于",
        "关于",
        "其中",
        "之一",
        "有关",
        "以上",
        "以下",
        "方面",
        "问题",
        "工作",
        "同志",
        "要求",
        "坚持",
        "加强",
        "推进",
        "提高",
        "认真",
        "进一步",
        "不断",
        "积极",
        "切实",
    ]
)

# Single characters in nearly every Chinese text: not indexed, not searched for (a query made
# only of them still searches for them, and finds nothing).
STOP_CHARS = frozenset("的了和是在与及或等之也而把被对就都这那个着呢吗吧啊")


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@cache
def _idf() -> tuple[dict[str, float], float]:
    """jieba's IDF table (read from its file: importing jieba.analyse also loads the
    part-of-speech tables, seconds of start-up for nothing)."""
    from pathlib import Path

    path = Path(_jieba().__file__).parent / "analyse" / "idf.txt"
    table: dict[str, float] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            word, _, value = line.strip().partition(" ")
            if value:
                table[word] = float(value)
    values = sorted(table.values())
    return table, values[len(values) // 2]


def _clean(token: str) -> list[str]:
    return [w.lower()[:MAX_TERM] for w in _WORD.findall(token)]


# jieba token → its cleaned words: a library's vocabulary is small beside its text, so most
# tokens are cleaned once per process instead of once per occurrence (bounded all the same).
_CLEANED: dict[str, tuple[str, ...]] = {}
_CLEANED_MAX = 300_000


def words(text: str) -> list[str]:
    """jieba's words of `text` (punctuation, spaces and STOP_CHARS dropped, Latin lower-cased)."""
    out: list[str] = []
    cleaned_of = _CLEANED
    for token in _jieba().cut(text):
        cleaned = cleaned_of.get(token)
        if cleaned is None:
            cleaned = tuple(w for w in _clean(token) if w not in STOP_CHARS)
            if len(cleaned_of) < _CLEANED_MAX:
                cleaned_of[token] = cleaned
        out.extend(cleaned)
    return out


def search_words(text: str) -> list[str]:
    """`words` plus the dictionary sub-words of long words (jieba's search mode, one pass)."""
    return expand(words(text))


def expand(word_list: list[str]) -> list[str]:
    """Each word preceded by its two- and three-character dictionary sub-words (中心组: 中心)."""
    freq = _jieba().dt.FREQ
    out: list[str] = []
    for word in word_list:
        n = len(word)
        if n > 2:
            for size in (2, 3):
                if size < n:
                    for i in range(n - size + 1):
                        part = word[i : i + size]
                        if freq.get(part):
                            out.append(part)
        out.append(word)
    return out


def terms(tokens: list[str]) -> str:
    """The stored/queried form: every token with the suffix, space separated."""
    return " ".join(t + SUFFIX for t in tokens)


def query_tokens(query: str, limit: int = 12) -> list[str]:
    """Distinct search tokens of a query, in order (a long query keeps its first `limit`)."""
    seen: dict[str, None] = {}
    for token in search_words(query[:200]):
        seen.setdefault(token, None)
    return list(seen)[:limit]


def keywords(tokens: list[str], limit: int = KEYWORDS) -> list[tuple[str, float]]:
    """Top TF-IDF keywords of a token list (jieba's IDF table), with weights summing to 1."""
    idf, median = _idf()
    counts = Counter(
        t
        for t in tokens
        if len(t) >= 2 and not t.isdigit() and t not in STOP_WORDS and len(t) <= 32
    )
    if not counts:
        return []
    total = sum(counts.values())
    scored = sorted(
        ((word, n / total * idf.get(word, median)) for word, n in counts.items()),
        key=lambda item: (-item[1], item[0]),
    )[:limit]
    norm = sum(score for _, score in scored) or 1.0
    return [(word, round(score / norm, 6)) for word, score in scored]


def reflow(text: str) -> str:
    """Join the layout line breaks of PDF and scraped text inside a paragraph.

    A break stays where the line ends a sentence, the next line is indented (　　) or blank,
    or either side is not Chinese; so 新时\\n期 becomes 新时期 but 工作。\\n那么 stays two paragraphs.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    for raw in lines:
        line = raw.rstrip()
        if out and out[-1] and line and not line[0].isspace() and line[0] != "\u3000":
            prev = out[-1]
            if prev[-1] not in _SENTENCE_END and (
                re.match(f"[{_CJK}，,、“”]", prev[-1]) and re.match(f"[{_CJK}，,、“”]", line[0])
            ):
                out[-1] = prev + line
                continue
        out.append(line)
    return "\n".join(out)


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if p.strip()]


def auto_abstract(text: str, title: str = "", limit: int = 300) -> str:
    """The first paragraphs up to `limit` characters (the title line skipped), for a material
    published without an abstract."""
    out = ""
    for paragraph in paragraphs(text.replace("\f", "\n")):
        if len(out) >= limit:
            break
        if not out and title and paragraph.replace(" ", "") == title.replace(" ", ""):
            continue
        out += paragraph if not out else "\n" + paragraph
    return out[:limit] + ("…" if len(out) > limit else "")


def highlight(text: str, tokens: list[str], width: int = 120) -> str:
    """HTML of the passage of `text` with the most query tokens, matches in <mark>.

    Every other character is escaped, so the result is safe to put in a page as is.
    """
    plain = text.replace("\f", "\n")
    needles = sorted({t for t in tokens if t}, key=len, reverse=True)
    if not needles or not plain:
        return html.escape(plain[:width])
    pattern = re.compile("|".join(re.escape(t) for t in needles), re.IGNORECASE)
    matches = [m.start() for m in pattern.finditer(plain, 0, min(len(plain), INDEX_CHARS))]
    if not matches:
        return html.escape(plain[:width].replace("\n", " "))
    # The window that holds the most distinct matches, starting a little before one of them.
    best, best_score = matches[0], -1
    for start in matches[:200]:
        window = plain[max(0, start - 20) : start - 20 + width].lower()
        score = sum(1 for t in needles if t.lower() in window)
        if score > best_score:
            best, best_score = start, score
    begin = max(0, best - 20)
    passage = plain[begin : begin + width].replace("\n", " ")
    parts = []
    last = 0
    for m in pattern.finditer(passage):
        parts.append(html.escape(passage[last : m.start()]))
        parts.append(f"<mark>{html.escape(m.group(0))}</mark>")
        last = m.end()
    parts.append(html.escape(passage[last:]))
    prefix = "…" if begin > 0 else ""
    suffix = "…" if begin + width < len(plain) else ""
    return prefix + "".join(parts) + suffix


def similarity(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine similarity of two keyword-weight maps."""
    dot = sum(w * b[k] for k, w in a.items() if k in b)
    if not dot:
        return 0.0
    return dot / (
        math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    )
