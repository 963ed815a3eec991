"""Crawl throughput: a full ``newsarchive crawl`` against the no-op Scrapy ceiling.

    .venv/bin/python benchmarks/bench_crawl.py                     # 2,400 articles, 3 pairs
    .venv/bin/python benchmarks/bench_crawl.py --articles 600 --pairs 1 --server python
    .venv/bin/python benchmarks/bench_crawl.py --profile cprofile  # + one profiled full crawl
    .venv/bin/python benchmarks/bench_crawl.py --mirrors normal    # the normal mirror only

Generates (once, seeded) the local mirrors of :mod:`mirror` (half UTF-8, half GBK, ~90 KB
article pages, 20 articles per list page): the normal one, and the template-heavy one whose
articles are notices written mostly from a shared pool of sentences (``--mirrors`` picks;
both by default, measured one after the other in one run). Each is served with nginx on
127.0.0.1 (installed with apt-get when missing; ``--server python`` uses Python's
http.server instead), and
runs, alternating and in fresh processes, the no-op spider (``noop_spider.py``) and

    newsarchive crawl bench-xf.toml bench-zl.toml --db FRESH.db --full \
        -s AUTOTHROTTLE_ENABLED=False -s CONCURRENT_REQUESTS_PER_DOMAIN=16 \
        -s DOWNLOAD_DELAY=0 -s ROBOTSTXT_OBEY=False --log-file LOG

Each run reports pages fetched (the server's access log), pages/s over Scrapy's own
``elapsed_time_seconds`` (crawl phase) and over the process wall time (with start-up),
CPU seconds per page and peak RSS of the process (``wait4`` rusage). The report gives
medians over the pairs and the ratio full/no-op per mirror, and the template mirror's CPU
per page against the normal one's. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import pstats
import shutil
import sqlite3
import statistics
import sys
from pathlib import Path

from benchmarks import common, mirror  # noqa: E402


def full_cmd(profiles: list[Path], db: Path, log: Path) -> list[str]:
    return [*common.newsarchive_cmd(), "crawl", *map(str, profiles), "--db", str(db),
            "--full", "--quiet", *common.setting_args(common.CRAWL_SETTINGS),
            "--log-file", str(log)]  # fmt: skip


def noop_cmd(profiles: list[Path], log: Path) -> list[str]:
    return [common.python(), str(Path(__file__).with_name("noop_spider.py")), *map(str, profiles),
            *common.setting_args(common.CRAWL_SETTINGS), "--log-file", str(log)]  # fmt: skip


def measure(kind: str, server: common.Server, profiles: list[Path], work: Path, i: int) -> dict:
    log = work / f"{kind}-{i}.log"
    log.unlink(missing_ok=True)
    db = work / f"archive-{i}.db"
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    cmd = full_cmd(profiles, db, log) if kind == "full" else noop_cmd(profiles, log)
    before = server.requests()
    run = common.run_measured(cmd)
    pages = server.requests() - before
    stats = common.scrapy_stats(log)
    elapsed = stats.get("elapsed_time_seconds") or run.wall_s
    row = {
        "kind": kind, "run": i, "returncode": run.returncode, "pages": pages,
        "wall_s": round(run.wall_s, 2), "crawl_s": round(elapsed, 2),
        "pages_per_s": round(pages / elapsed, 1) if elapsed else 0.0,
        "pages_per_s_wall": round(pages / run.wall_s, 1),
        "cpu_s": round(run.cpu_s, 2), "cpu_ms_per_page": round(1000 * run.cpu_s / max(pages, 1), 2),
        "cpu_ms_per_page_workers": round(1000 * run.children_cpu_s / max(pages, 1), 2),
        "cpu_ms_per_page_crawl_process": round(
            1000 * (run.cpu_s - run.children_cpu_s) / max(pages, 1), 2),
        "peak_rss_mb": round(run.peak_tree_rss_mb, 1),
        "peak_rss_largest_process_mb": round(run.peak_rss_mb, 1), "processes": run.processes,
    }  # fmt: skip
    if kind == "full":
        with sqlite3.connect(db) as conn:
            row["archived"] = conn.execute("select count(*) from articles").fetchone()[0]
            row["status"] = conn.execute(
                "select status from crawls order by id desc limit 1"
            ).fetchone()[0]
    if run.returncode != 0:
        row["stderr"] = (run.stderr or run.stdout)[-2000:]
    print(f"  {kind:4} #{i}: {pages} pages, {row['pages_per_s']} pages/s (crawl), "
          f"{row['pages_per_s_wall']} pages/s (wall), {row['cpu_ms_per_page']} ms CPU/page "
          f"(crawl process {row['cpu_ms_per_page_crawl_process']}, workers "
          f"{row['cpu_ms_per_page_workers']}), peak RSS {row['peak_rss_mb']} MB, "
          f"rc {run.returncode}", flush=True)  # fmt: skip
    return row


def summarise(rows: list[dict]) -> dict:
    out: dict = {}
    for kind in ("noop", "full"):
        rs = [r for r in rows if r["kind"] == kind]
        out[kind] = {
            k: round(statistics.median(r[k] for r in rs), 2)
            for k in ("pages", "pages_per_s", "pages_per_s_wall", "cpu_ms_per_page",
                      "cpu_ms_per_page_crawl_process", "cpu_ms_per_page_workers",
                      "peak_rss_mb", "crawl_s", "wall_s")
        }  # fmt: skip
    pairs = {}
    for r in rows:
        pairs.setdefault(r["run"], {})[r["kind"]] = r
    ratios = [p["full"]["pages_per_s"] / p["noop"]["pages_per_s"] for p in pairs.values()
              if "full" in p and "noop" in p and p["noop"]["pages_per_s"]]  # fmt: skip
    ratios_wall = [p["full"]["pages_per_s_wall"] / p["noop"]["pages_per_s_wall"]
                   for p in pairs.values() if "full" in p and "noop" in p]  # fmt: skip
    out["ratio_of_medians"] = round(out["full"]["pages_per_s"] / out["noop"]["pages_per_s"], 3)
    out["ratio_per_pair"] = [round(x, 3) for x in ratios]
    out["ratio_median_of_pairs"] = round(statistics.median(ratios), 3) if ratios else None
    out["ratio_wall_median_of_pairs"] = (
        round(statistics.median(ratios_wall), 3) if ratios_wall else None
    )
    return out


# -- profile ---------------------------------------------------------------------------------
#: Stages of a full crawl and the function whose cumulative time is that stage.
STAGES = [
    ("extraction worker: extract_page (whole)", "crawler/worker.py", "extract_page"),
    ("  extract (whole)", "crawler/extract/__init__.py", "_extract"),
    ("    decode", "crawler/extract/decoding.py", "decode_html"),
    ("    lxml parse", "crawler/extract/cleaning.py", "parse"),
    ("    prune", "crawler/extract/cleaning.py", "prune"),
    ("    page walk (lines + block statistics)", "crawler/extract/maintext.py", "walk"),
    ("    main-text selection", "crawler/extract/maintext.py", "select_nodes"),
    ("    body: BeautifulSoup strip + lines", "crawler/extract/cleaning.py", "fragment_lines"),
    ("    metadata find_date", "crawler/extract/published.py", "find_date"),
    ("    metadata find_author", "crawler/extract/bylines.py", "find_author"),
    ("  duplicate-check fingerprint", "crawler/archive/dedupe.py", "fingerprint"),
    ("  search-index token buffers", "crawler/search/tokens.py", "document_buffer"),
    ("  raw-page compression", "crawler/archive/compression.py", "compress"),
    ("store: Archive.upsert_batched", "crawler/archive/core.py", "upsert_batched"),
    ("  duplicate check (SQL)", "crawler/archive/copies.py", "_link_duplicate"),
    ("  FTS5 tokenizer callback (+ FTS5 indexing below it)", "crawler/search/tokenizer.py",
     "_x_tokenize"),
    ("store: COMMIT of a batch", "crawler/archive/core.py", "commit_batch"),
    ("validate pipeline", "pipelines/validate.py", "process_item"),
    ("portal spider parse_list", "spiders/portal.py", "parse_list"),
]


def profile_stages(prof: Path) -> list[tuple[str, float, float]]:
    st = pstats.Stats(str(prof))
    total = max((v[3] for v in st.stats.values()), default=0.0)  # type: ignore[attr-defined]
    out = [("process total (cumulative of the top frame)", total, 100.0)]
    for label, file, func in STAGES:
        ct = sum(v[3] for (f, _line, fn), v in st.stats.items()  # type: ignore[attr-defined]
                 if f.endswith(file) and fn == func)  # fmt: skip
        out.append((label, ct, 100.0 * ct / total if total else 0.0))
    return out


#: py-spy frames (function names in the collapsed stacks) for the same stages.
PYSPY_STAGES = [(label, f"{func} ({file}") for label, file, func in STAGES]


def pyspy_stages(raw: Path) -> list[tuple[str, float, float]]:
    """Samples per stage from ``py-spy record --format raw`` (collapsed stacks)."""
    total = 0
    per = dict.fromkeys([label for label, _ in PYSPY_STAGES], 0)
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        count = int(n)
        total += count
        for label, frame in PYSPY_STAGES:
            if frame in stack:
                per[label] += count
    # py-spy drops idle samples by default: the total is the time the process was busy.
    out = [("busy samples (s at 100 Hz)", total / 100, 100.0)]
    out += [(label, round(c / 100, 2), round(100 * c / max(total, 1), 1))
            for label, c in per.items()]  # fmt: skip
    return out


def pyspy_leaves(raw: Path, n: int = 20) -> list[tuple[str, float, str, int]]:
    """The functions most often on top of the stack (own time) in a py-spy raw profile."""
    leaves: dict[str, int] = {}
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit():
            leaf = stack.rsplit(";", 1)[-1]
            leaves[leaf] = leaves.get(leaf, 0) + int(count)
    top = sorted(leaves.items(), key=lambda kv: kv[1], reverse=True)[:n]
    return [(leaf, round(c / 100, 2), "", c) for leaf, c in top]


def top_functions(prof: Path, n: int = 20) -> list[tuple[str, float, float, int]]:
    st = pstats.Stats(str(prof))
    rows = []
    for (f, line, fn), (_cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        short = f.replace(str(common.ROOT) + "/", "")
        if "site-packages/" in short:
            short = short.split("site-packages/", 1)[1]
        rows.append((f"{short}:{line}({fn})", tt, ct, nc))
    rows.sort(key=lambda r: r[1], reverse=True)
    return rows[:n]


def run_profile(server: common.Server, profiles: list[Path], work: Path, how: str) -> dict:
    db = work / "archive-profile.db"
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    log = work / "profile.log"
    base = full_cmd(profiles, db, log)[1:]  # without the executable
    result: dict = {"how": how}
    if how == "py-spy":
        spy = shutil.which("py-spy") or "/tmp/pyspy/bin/py-spy"
        out = work / "profile.pyspy.txt"
        cmd = [spy, "record", "--format", "raw", "--rate", "100", "--nonblocking",
               "--subprocesses", "-o",
               str(out), "--", common.python(), "-m", "crawler", *base]  # fmt: skip
        run = common.run_measured(cmd)
        result.update(file=str(out), wall_s=round(run.wall_s, 1), returncode=run.returncode)
        if out.exists():
            result["stages"] = pyspy_stages(out)
            result["top"] = pyspy_leaves(out)
        else:
            result["error"] = run.stderr[-1000:]
        return result
    prof = work / "profile.cprofile"
    cmd = [common.python(), "-m", "cProfile", "-o", str(prof), "-m", "crawler", *base]
    run = common.run_measured(cmd)
    result.update(file=str(prof), wall_s=round(run.wall_s, 1), returncode=run.returncode)
    result["stages"] = [(a, round(b, 2), round(c, 1)) for a, b, c in profile_stages(prof)]
    result["top"] = [(a, round(b, 2), round(c, 2), d) for a, b, c, d in top_functions(prof)]
    return result


# -- report ----------------------------------------------------------------------------------
def report_md(res: dict, per_kind: dict[str, dict] | None = None) -> str:
    per_kind = per_kind or {"normal": res}
    m = res["mirror"]
    lines = [
        "# Crawl throughput: full `newsarchive crawl` vs the no-op Scrapy ceiling",
        "",
        f"Date {res['machine']['date']}; nproc {res['machine']['nproc']}; CPU "
        f"{res['machine']['cpu']}; code {res['machine']['commit']}; "
        f"load average at start {res['machine']['loadavg_at_start']}.",
        f"Server: {res['server']}. Each mirror: {m['articles']} articles + "
        f"{sum(x['list_pages'] for x in m['sites'].values())} list pages = {m['pages']} pages "
        f"(UTF-8 {m['sites']['xf']['mean_article_kb']} KB, "
        f"GBK {m['sites']['zl']['mean_article_kb']} KB mean article page), seed "
        f"{m['seed']}. {res['pairs']} pairs per mirror, alternating order; medians.",
        "",
        "Command: `" + res["command"] + "`",
    ]
    summaries = {k: v["summary"] for k, v in per_kind.items() if v.get("summary")}
    if summaries:
        normal = summaries.get("normal")
        rows = []
        for kind, s in summaries.items():
            vs = (round(s["full"]["cpu_ms_per_page"] / normal["full"]["cpu_ms_per_page"], 2)
                  if normal and normal["full"]["cpu_ms_per_page"] else "")  # fmt: skip
            rows.append([kind, s["full"]["cpu_ms_per_page"],
                         s["full"]["cpu_ms_per_page_crawl_process"],
                         s["full"]["cpu_ms_per_page_workers"], vs, s["full"]["pages_per_s"],
                         s["noop"]["pages_per_s"], s["ratio_median_of_pairs"]])  # fmt: skip
        lines += ["", "## Both mirrors", "",
                  common.md_table(["mirror", "full CPU ms/page", "crawl process",
                                   "extraction workers", "CPU vs normal", "full pages/s",
                                   "no-op pages/s", "ratio full/no-op (median of pairs)"],
                                  rows)]  # fmt: skip
    for kind, v in per_kind.items():
        if v.get("summary"):
            lines += ["", f"## {kind.capitalize()} mirror"]
            lines += _summary_lines(v, v["summary"])
        lines += _profile_lines(v.get("profile"))
    return "\n".join(lines) + "\n"


def _summary_lines(res: dict, s: dict) -> list[str]:
    return [
        "",
        common.md_table(
            ["", "pages", "pages/s (crawl phase)", "pages/s (process wall)", "CPU ms/page",
             "of which crawl process", "of which extraction workers",
             "peak RSS MB (process tree)"],
            [[k, s[k]["pages"], s[k]["pages_per_s"], s[k]["pages_per_s_wall"],
              s[k]["cpu_ms_per_page"], s[k]["cpu_ms_per_page_crawl_process"],
              s[k]["cpu_ms_per_page_workers"], s[k]["peak_rss_mb"]] for k in ("noop", "full")],
        ),  # fmt: skip
        "",
        f"Ratio full/no-op (pages/s, crawl phase): median of pairs {s['ratio_median_of_pairs']}, "
        f"ratio of medians {s['ratio_of_medians']}; per pair {s['ratio_per_pair']}. "
        f"Process wall-time ratio (with start-up): {s['ratio_wall_median_of_pairs']}.",
        "",
        "All runs:",
        "",
        common.md_table(
            ["kind", "pair", "rc", "pages", "crawl s", "wall s", "pages/s", "pages/s wall",
             "CPU s", "CPU ms/page", "peak RSS MB (tree)", "processes", "archived"],
            [[r["kind"], r["run"], r["returncode"], r["pages"], r["crawl_s"], r["wall_s"],
              r["pages_per_s"], r["pages_per_s_wall"], r["cpu_s"], r["cpu_ms_per_page"],
              r["peak_rss_mb"], r.get("processes", 1), r.get("archived", "")]
             for r in res["runs"]],
        ),  # fmt: skip
    ]


def _profile_lines(prof: dict | None) -> list[str]:
    lines: list[str] = []
    if prof and prof.get("stages"):
        lines += ["", f"## Profile of one full crawl ({prof['how']}, {prof.get('wall_s')} s wall "
                  "under the profiler)", "",
                  common.md_table(["stage", "cumulative s",
                                   "% (of the profile's total: every process for py-spy)"],
                                  [list(r) for r in prof["stages"]]),
                  "", "Top functions by own time:", "",
                  common.md_table(["function", "own s", "cumulative s", "calls"],
                                  [list(r) for r in prof["top"]])]  # fmt: skip
    return lines


def run_mirror(args: argparse.Namespace, kind: str) -> dict:
    """Pairs of no-op and full crawls (and the profile, if asked) on one mirror."""
    suffix = "" if kind == "normal" else f"-{kind}"
    work = args.out / f"crawl{suffix}"
    work.mkdir(parents=True, exist_ok=True)
    mdir = args.out / f"mirror{suffix}-{args.articles}-{args.seed}"
    print(f"mirror ({kind}): {mdir}", flush=True)
    manifest = mirror.ensure_mirror(mdir, args.articles, args.seed, kind)
    res: dict = {"kind": kind, "mirror": manifest, "runs": []}
    with common.serve(mdir, work / "server", args.server, not args.no_install) as server:
        res["server"] = server.kind
        profiles = mirror.profiles(server.url, work / "profiles")
        res["command"] = " ".join(full_cmd(profiles, Path("FRESH.db"), Path("LOG"))).replace(
            str(common.ROOT) + "/", ""
        )
        print(f"server: {server.kind} at {server.url}", flush=True)
        for i in range(args.pairs):
            order = ("noop", "full") if i % 2 == 0 else ("full", "noop")
            for kind_ in order:
                res["runs"].append(measure(kind_, server, profiles, work, i))
        if res["runs"]:
            res["summary"] = summarise(res["runs"])
        if args.profile != "none":
            print(f"profiling one full crawl with {args.profile}", flush=True)
            res["profile"] = run_profile(server, profiles, work, args.profile)
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2400, help="article pages in the mirror")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--mirrors", default="normal,template",
                        help="comma-separated mirror kinds to measure (normal, template)")
    parser.add_argument("--server", choices=("nginx", "python"), default="nginx")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install nginx")
    parser.add_argument("--profile", choices=("none", "cprofile", "py-spy"), default="none")
    parser.add_argument("--out", type=Path, default=common.OUT, help="work folder")
    parser.add_argument("--report", type=Path, help="write the Markdown report here")
    parser.add_argument("--json", type=Path, help="write the raw results here")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.mirrors.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in mirror.KINDS]
    if unknown or not kinds:
        parser.error(f"--mirrors {args.mirrors!r}: expected kinds among {', '.join(mirror.KINDS)}")

    res: dict = {"machine": common.machine(), "pairs": args.pairs, "mirrors": kinds}
    per_kind = {kind: run_mirror(args, kind) for kind in kinds}
    # The first mirror's results stay at the top level (the layout before there were two).
    first = per_kind[kinds[0]]
    res.update({k: v for k, v in first.items() if k != "kind"})
    for kind in kinds[1:]:
        res[kind] = per_kind[kind]
    res["by_mirror"] = {k: v.get("summary") for k, v in per_kind.items()}
    (args.out / "crawl").mkdir(parents=True, exist_ok=True)
    common.publish(report_md(res, per_kind), args.report,
                   args.json or args.out / "crawl" / "results.json", res)  # fmt: skip
    bad = [(kind, r) for kind, v in per_kind.items() for r in v["runs"]
           if r["returncode"] not in (0, 1)]  # 1: some pages failed  # fmt: skip
    for kind, r in bad:
        print(f"run failed ({kind} mirror): {r['kind']} #{r['run']} rc {r['returncode']}: "
              f"{r.get('stderr', '')}", file=sys.stderr)  # fmt: skip
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
