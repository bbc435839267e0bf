"""The ``articlebot`` command line (contract in DESIGN.md, "CLI contract").

Exit status 0 on success, 2 on bad usage or bad input with a one-line message on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

from index import DEFAULT_LIBRARY, ArticleBotError, BadInput, Engine
from index.dates import window_for

from .settings import Settings
from .text_render import added_line, render_answer, render_audit, render_listing, render_preview

log = logging.getLogger("articlebot")


class UsageError(BadInput):
    """Bad command-line usage."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as the contract says
        self.exit(2, f"articlebot: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="articlebot", description="Answer questions about news articles by quoting them."
    )
    parser.add_argument("--home", help="data directory (default $ARTICLEBOT_HOME or ./data)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def with_library(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--library", default=DEFAULT_LIBRARY, help="library name (default local)")
        return p

    add = with_library(sub.add_parser("add", help="add articles from URLs, files or - (stdin)"))
    add.add_argument("sources", nargs="+", metavar="SOURCE")
    add.add_argument("--title")
    add.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would be stored (headline, outlet, date, byline, words, first "
        "paragraph, warnings) and store nothing",
    )
    imp = with_library(sub.add_parser("import", help="import a JSONL file of articles"))
    imp.add_argument("file")
    ask = with_library(sub.add_parser("ask", help="ask a question (or one per stdin line)"))
    ask.add_argument("question", nargs="?")
    ask.add_argument("-k", type=int, default=3, help="passages to return (default 3)")
    ask.add_argument("--json", action="store_true", help="one JSON line per question")
    ask.add_argument(
        "--explain",
        action="store_true",
        help="show why each passage was chosen (ranks, scores, matched sentence)",
    )
    ask.add_argument(
        "--since",
        help="only articles dated on or after: YYYY-MM-DD, or back from today: 7d 2w 1m 1y",
    )
    ask.add_argument("--before", help="only articles dated before: YYYY-MM-DD or 7d 2w 1m 1y")
    lst = with_library(sub.add_parser("list", help="list the library's articles"))
    lst.add_argument("--json", action="store_true")
    rem = with_library(sub.add_parser("remove", help="remove an article by id"))
    rem.add_argument("id")
    with_library(sub.add_parser("rebuild", help="re-chunk and re-embed the library"))
    aud = with_library(sub.add_parser("audit", help="who added and removed articles, and when"))
    aud.add_argument("-n", type=int, default=50, help="latest entries to show (default 50)")
    aud.add_argument("--json", action="store_true")
    ev = sub.add_parser("eval", help="measure retrieval on a question set")
    ev.add_argument("dir")
    ev.add_argument("-k", type=int, default=5)
    ev.add_argument(
        "--unanswerable",
        metavar="FILE",
        help="JSONL of {qid, question} answered by no article, to measure refusals "
        "(default: the repository's eval/unanswerable.jsonl when present)",
    )
    ev.add_argument(
        "--variant",
        action="append",
        choices=["dense", "lexical", "hybrid", "hybrid+rescore"],
        help="variants to run (default: all, side by side)",
    )
    with_library(sub.add_parser("console", help="chat with the bot in this terminal"))
    sub.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")
    return parser


def _progress_bar(total_label: str):
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=total_label, unit="article", file=sys.stderr, disable=None)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def _cmd_add(engine: Engine, args) -> int:
    library = engine.library(args.library)
    if args.dry_run:
        return _preview(library, args)
    for source in args.sources:
        if source == "-":
            text = sys.stdin.read()
            result = library.add_text(text, title=args.title, added_by="cli")
        else:
            result = library.add_source(source, title=args.title, added_by="cli", allow_files=True)
        print(added_line(result))
    return 0


def _preview(library, args) -> int:
    """``add --dry-run``: the preview of every source; nothing is stored."""
    from index.sources import document_from_text

    previews = []
    for source in args.sources:
        if source == "-":
            document = document_from_text(sys.stdin.read(), args.title)
            previews.append(library.preview_document(document))
        else:
            previews.append(library.preview_source(source, args.title, allow_files=True))
    print("\n\n".join(render_preview(p) for p in previews))
    return 0


def _cmd_import(engine: Engine, args) -> int:
    from index.evaluation import read_jsonl

    records = read_jsonl(Path(args.file))
    results = engine.library(args.library).import_records(
        records, added_by="cli", progress=_progress_bar("import"), bulk=True
    )
    added = sum(1 for r in results if not r.duplicate)
    print(
        f"imported {added} article(s), {len(results) - added} duplicate(s), "
        f"{sum(r.chunks for r in results if not r.duplicate)} chunks"
    )
    return 0


def _cmd_ask(engine: Engine, args) -> int:
    library = engine.library(args.library)
    window = {"since": args.since, "before": args.before}
    window_for("", **window)  # a bad date is bad usage, before any question is read
    if args.question is None:
        if not args.json:
            raise UsageError("Give a question, or use --json to read one question per line.")
        for line in sys.stdin:
            if line.strip():
                try:
                    payload = library.ask(
                        line.strip(), k=args.k, explain=args.explain, **window
                    ).to_json()
                except BadInput as err:
                    payload = {
                        "question": line.strip(),
                        "answer": None,
                        "passages": [],
                        "error": str(err),
                    }
                print(json.dumps(payload, ensure_ascii=False), flush=True)
        return 0
    answer = library.ask(args.question, k=args.k, explain=args.explain, **window)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        print(render_answer(answer, color=sys.stdout.isatty()))
    return 0


def _cmd_list(engine: Engine, args) -> int:
    articles = engine.library(args.library).list()
    if args.json:
        print(json.dumps([a.to_json() for a in articles], ensure_ascii=False))
    else:
        print(render_listing(articles))
    return 0


def _cmd_remove(engine: Engine, args) -> int:
    info = engine.library(args.library).remove(args.id, removed_by="cli")
    print(f"removed {info.article_id}\t{info.title}")
    return 0


def _cmd_audit(engine: Engine, args) -> int:
    entries = engine.library(args.library).audit(limit=max(1, args.n))
    if args.json:
        print(json.dumps([e.to_json() for e in entries], ensure_ascii=False))
    else:
        print(render_audit(entries))
    return 0


def _cmd_rebuild(engine: Engine, args) -> int:
    chunks = engine.library(args.library).rebuild(progress=_progress_bar("rebuild"), bulk=True)
    print(f"rebuilt {args.library}: {chunks} chunks")
    return 0


def _cmd_console(engine: Engine, args) -> int:
    from .console import run_console

    return run_console(engine.library(args.library))


def _cmd_eval(settings: Settings, args) -> int:
    from index import EngineConfig
    from index.evaluation import format_table, read_jsonl, run

    folder = Path(args.dir)
    articles = read_jsonl(folder / "articles.jsonl")
    questions = read_jsonl(folder / "questions.jsonl")
    # Questions whose answer is in none of the dev articles, written to measure refusals.
    default = Path(__file__).resolve().parent.parent / "eval" / "unanswerable.jsonl"
    unanswerable_file = Path(args.unanswerable) if args.unanswerable else default
    unanswerable = read_jsonl(unanswerable_file) if args.unanswerable or default.exists() else []
    variants = args.variant or ["dense", "lexical", "hybrid", "hybrid+rescore"]
    with tempfile.TemporaryDirectory(prefix="articlebot-eval-") as home:
        engine = Engine(
            EngineConfig(
                home=Path(home),
                embedding_model=settings.embedding_model,
                embedding_backend=settings.embedding_backend,
                # The export cache of the real home: a throwaway home must not re-export.
                model_cache=settings.engine_config().model_cache,
                bulk_backend=settings.bulk_backend,
                seed_samples=False,
            )
        )
        library = engine.library("eval")
        # Imported as `articlebot import` would (on EMBEDDING_BULK_BACKEND when set).
        library.import_records(
            articles, added_by="eval", progress=_progress_bar("index"), bulk=True
        )
        reports = []
        for variant in variants:
            mode = variant.split("+")[0]
            rescore = variant.endswith("+rescore")

            def ask(q: str, mode=mode, rescore=rescore):
                return library.ask(q, k=args.k, mode=mode, rescore=rescore)

            reports.append(run(questions, ask, variant, unanswerable))
        engine.close()
    extra = f", {len(unanswerable)} unanswerable ({unanswerable_file.name})" if unanswerable else ""
    print(f"{len(questions)} questions over {len(articles)} articles, k={args.k}{extra}")
    print(format_table(reports))
    return 0


def _cmd_run(settings: Settings, args) -> int:
    from .discord_app import run_bot

    return run_bot(settings)


COMMANDS = {
    "add": _cmd_add,
    "import": _cmd_import,
    "ask": _cmd_ask,
    "list": _cmd_list,
    "remove": _cmd_remove,
    "rebuild": _cmd_rebuild,
    "audit": _cmd_audit,
    "console": _cmd_console,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    try:
        settings = Settings.load(home=args.home)
        if args.command == "eval":
            return _cmd_eval(settings, args)
        if args.command == "run":
            return _cmd_run(settings, args)
        engine = Engine(settings.engine_config())
        try:
            return COMMANDS[args.command](engine, args)
        finally:
            engine.close()
    except ArticleBotError as err:
        print(f"articlebot: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
