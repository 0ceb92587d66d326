"""The materials library (issue 13) at scale: search over 10,000 materials (about 100 MB of
text) and the import of 1,000 DOCX files.

    DANGJIAN_DATA_DIR=/tmp/bench-lib .venv/bin/python bench/bench_library.py
    DANGJIAN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_lib \\
        DANGJIAN_DATA_DIR=/tmp/bench-lib-pg .venv/bin/python bench/bench_library.py

Search: the library is generated straight into the tables (bulk inserts; no files are written,
search does not read them): synthetic party-study prose plus, per material, a few hundred words
drawn from jieba's dictionary so the vocabulary is as varied as a real library's. Its terms are
made by the real tokenizer (`study.text`), phrase by phrase. Then, as the demo's ordinary member
(whose reach covers the materials of the 机关工委, the 机关党委 and the branch), 200 queries of
four kinds are timed through `queries.search_materials` (the scoped, filtered, ranked page of
20 with highlighted passages: what the page and the API run), and beside each the bare engine
query (`search.bare`: the match count with no scope and no ranking). p50 and p95 per kind.

Import: 1,000 generated DOCX files (about 10 KB of text each) in a temporary folder, imported
with `dangjian library import` into an organization that has none of them; wall time, and the
CPU time of the command with its worker processes (which the machine's load barely moves).
`--skip-search` runs the import alone.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    os.environ.setdefault("DANGJIAN_SECRET_KEY", "bench-only-not-a-secret")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from dangjian.demo import ensure_demo

    ensure_demo(password="Bench@2026x")


def _phrase_terms(parts, cache: dict[str, list[str]]) -> list[str]:
    from dangjian.study import text as textlib

    out: list[str] = []
    for part in parts:
        if part not in cache:
            cache[part] = textlib.expand(textlib.words(part))
        out.extend(cache[part])
    return out


def generate(count: int, target_bytes: int, seed: int) -> None:
    """`count` materials of about `target_bytes` of text each, bulk-inserted."""
    from django.db import transaction

    from dangjian.orgs.models import Organization
    from dangjian.study import samples
    from dangjian.study import text as textlib
    from dangjian.study.models import Material, MaterialText

    existing = Material.objects.filter(sha256__startswith="bench").count()
    if existing >= count:
        print(f"library: {existing} generated materials already there")
        return
    rng = random.Random(seed)
    jieba = textlib._jieba()
    vocabulary = [w for w, f in jieba.dt.FREQ.items() if f and 2 <= len(w) <= 4]
    vocabulary.sort()
    orgs = list(Organization.objects.exclude(kind="party_group").order_by("path"))
    cache: dict[str, list[str]] = {}
    started = time.perf_counter()
    total_bytes = 0
    batch_m, batch_t = [], []
    for i in range(existing, count):
        texts: list[str] = []
        terms: list[str] = []
        size = 0
        while size < target_bytes:
            sentence = (
                rng.choice(samples.SUBJECTS)
                + rng.choice(samples.ACTIONS)
                + "，"
                + rng.choice(samples.PURPOSES)
            )
            # Dictionary words are their own jieba tokens: no need to cut them again.
            extra = [rng.choice(vocabulary) for _ in range(3)]
            texts.append(f"{sentence}重点关注{'、'.join(extra)}等方面。")
            terms.extend(_phrase_terms([sentence], cache))
            terms.extend(["重点", "关注", *extra, "方面"])
            size += len(texts[-1].encode())
        body = "".join(texts)
        total_bytes += len(body.encode())
        title = samples.party_title(rng, i)
        org = orgs[i % len(orgs)]
        batch_m.append(
            Material(
                organization=org,
                title=title,
                category=rng.choice(samples.CATEGORIES),
                abstract=body[:200],
                format=rng.choice(["docx", "pdf", "txt"]),
                file=f"study/bench/{i}.txt",
                original_name=f"{title}.txt",
                content_type="text/plain",
                size=len(body.encode()),
                sha256=f"bench{i:059d}",
                pages=max(1, len(body) // 800),
                char_count=len(body),
                published_on=f"20{20 + i % 7}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            )
        )
        batch_t.append((body, textlib.terms(textlib.search_words(title)), textlib.terms(terms)))
        if len(batch_m) == 500 or i == count - 1:
            with transaction.atomic():
                created = Material.objects.bulk_create(batch_m)
                MaterialText.objects.bulk_create(
                    MaterialText(material=m, text=b, title_terms=tt, body_terms=bt, preview=[])
                    for m, (b, tt, bt) in zip(created, batch_t, strict=True)
                )
            batch_m, batch_t = [], []
            print(f"  {i + 1}/{count}", end="\r", flush=True)
    elapsed = time.perf_counter() - started
    print(
        f"library: generated {count - existing} materials, {total_bytes / 1e6:.0f} MB of text, "
        f"in {elapsed:.0f} s"
    )


QUERIES = {
    "common word (党员)": ["党员", "学习", "党支部", "理论学习", "作风"],
    "two words": [
        "党员 廉政",
        "支部 主题党日",
        "理论学习 作风",
        "民主集中制 党费",
        "先锋模范 堡垒",
    ],
    "title word (读本, 手册)": ["读本", "手册", "讲义", "指引", "解读"],
}


def search_bench(runs: int, seed: int) -> None:
    from django.db import connection

    from dangjian.accounts.models import User
    from dangjian.study import search
    from dangjian.study import text as textlib
    from dangjian.study.models import Material
    from dangjian.study.queries import MaterialFilter, search_materials, visible_materials

    rng = random.Random(seed)
    jieba = textlib._jieba()
    vocabulary = sorted(w for w, f in jieba.dt.FREQ.items() if f and 2 <= len(w) <= 4)
    queries = dict(QUERIES)
    queries["dictionary word (rarer)"] = [rng.choice(vocabulary) for _ in range(40)]
    user = User.objects.get(username="member")
    total = Material.objects.count()
    reach = visible_materials(user).count()
    print(
        f"\nsearch on {connection.vendor}: {total} materials, the member reaches {reach}; "
        f"{runs} runs of each query"
    )
    print(f"  {'kind':<26} {'p50 ms':>7} {'p95 ms':>7}   bare FTS p50/p95 ms   matches (avg)")
    everything: list[float] = []
    for kind, words in queries.items():
        times, bare_times, matches = [], [], []
        for word in words:
            tokens = textlib.query_tokens(word)
            search_materials(user, MaterialFilter(q=word))  # warm
            for _ in range(runs):
                start = time.perf_counter()
                page = search_materials(user, MaterialFilter(q=word))
                times.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                search.bare(tokens)
                bare_times.append((time.perf_counter() - start) * 1000)
            matches.append(page.total)
        everything.extend(times)
        print(
            f"  {kind:<26} {statistics.median(times):7.1f} {_p95(times):7.1f}   "
            f"{statistics.median(bare_times):8.1f} / {_p95(bare_times):6.1f}"
            f"      {sum(matches) / len(matches):7.0f}"
        )
    print(f"  {'all queries':<26} {statistics.median(everything):7.1f} {_p95(everything):7.1f}")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def import_bench(files: int, seed: int) -> None:
    import io

    from django.core.management import call_command

    from dangjian.orgs.models import Organization
    from dangjian.study import samples
    from dangjian.study.models import Material

    rng = random.Random(seed + 1)
    org = Organization.objects.get(code="CZJ-JGDW")
    with tempfile.TemporaryDirectory(prefix="bench-docx-") as folder:
        started = time.perf_counter()
        size = 0
        for i in range(files):
            data = samples.make_docx(
                samples.party_paragraphs(rng, 22) + [f"编号{seed}-{i}"],
                title=samples.party_title(rng, i),
            )
            size += len(data)
            Path(folder, f"{i:04d}.docx").write_bytes(data)
        print(
            f"\nimport: {files} DOCX files ({size / 1e6:.1f} MB) generated in "
            f"{time.perf_counter() - started:.0f} s"
        )
        before = Material.objects.filter(organization=org).count()
        out = io.StringIO()
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        call_command(
            "library", "import", folder, "--org", org.code, stdout=out, stderr=io.StringIO()
        )
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
        added = Material.objects.filter(organization=org).count() - before
        print(f"import: {added} new materials in {elapsed:.1f} s ({out.getvalue().strip()})")
        print(f"import: CPU {cpu:.1f} s (this process and its worker processes, user + system)")


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children: unlike wall time, barely moved by
    what else the machine runs."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--materials", type=int, default=10_000)
    parser.add_argument("--bytes", type=int, default=10_000, help="text per material (UTF-8)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--import-files", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-search", action="store_true", help="only the import")
    args = parser.parse_args()
    _setup()
    if not args.skip_search:
        generate(args.materials, args.bytes, args.seed)
        search_bench(args.runs, args.seed)
    if not args.skip_import:
        import_bench(args.import_files, args.seed)


if __name__ == "__main__":
    main()
