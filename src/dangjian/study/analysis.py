"""What publishing computes from a file before it writes anything: the extracted text and
preview, the title and abstract it defaults to, the search terms and the keywords.

It touches no database, so `dangjian library import` runs it for many files at once in worker
processes (`analyse_file`) while its own process writes; publishing one file runs it in line.
Either way the same function computes the same values, so what is stored does not depend on
how the file came in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from dangjian.core.errors import ServiceValidationError
from dangjian.study import extract, files
from dangjian.study import text as textlib


@dataclass
class Analysis:
    sha256: str  # of the content analysed: a result is used only for that very content
    title: str
    abstract: str  # the default abstract, used when the publisher gives none
    extracted: extract.Extracted
    title_terms: str
    body_terms: str
    keywords: list[tuple[str, float]]


def default_title(original_name: str) -> str:
    return PurePath(original_name).stem[:200] or "未命名资料"


def _abstract(text: str) -> str:
    # A short first line without a full stop is the document's own title: skipped.
    first = textlib.paragraphs(text[:1000])
    heading = first[0] if first and len(first[0]) <= 80 and first[0][-1] not in "。！？.!?" else ""
    return textlib.auto_abstract(text, heading)


def analyse(checked: files.CheckedFile, title: str = "") -> Analysis:
    """Extract and index a checked file; `title` is the publisher's (or empty: the file name)."""
    extracted = extract.extract(checked.handle, checked.kind, checked.extension)
    title = title or default_title(checked.original_name)
    word_list = textlib.words(extracted.text[: textlib.INDEX_CHARS])
    # The title counts three times in the keywords: it says what the material is about.
    return Analysis(
        sha256=checked.sha256,
        title=title,
        abstract=_abstract(extracted.text),
        extracted=extracted,
        title_terms=textlib.terms(textlib.search_words(title)),
        body_terms=textlib.terms(textlib.expand(word_list)),
        keywords=textlib.keywords(textlib.words(title) * 3 + word_list),
    )


def analyse_file(path: str, name: str, size: int) -> Analysis | dict[str, str]:
    """`analyse` of a file on disk (a worker process's task): the analysis, or the refusal's
    field errors (checked again, and refused the same way, when the file is published)."""
    try:
        with open(path, "rb") as handle:
            return analyse(files.check(handle, name, size))
    except ServiceValidationError as exc:
        return dict(exc.errors)
    except OSError:
        return {"file": f"{name}：文件无法读取"}
