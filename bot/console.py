"""The bot's conversation in a terminal: type a question, get the quoted answer."""

from __future__ import annotations

import sys

from index import ArticleBotError, Library

from .text_render import render_answer, render_listing

HELP = (
    'Ask a question about the articles in this library, e.g. "how many were killed?".\n'
    "Commands: :list (articles), :add URL|PATH (add an article), :help, :quit."
)


def run_console(library: Library, stdin=None, stdout=None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    color = stdout.isatty()
    count = library.count()
    stdout.write(f"ArticleBot console — library {library.name!r}, {count} article(s).\n{HELP}\n")
    while True:
        if stdin.isatty():
            stdout.write("\n? ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            return 0
        line = line.strip()
        if not line:
            continue
        if line in {":quit", ":q", ":exit", "quit", "exit"}:
            return 0
        try:
            if line == ":help":
                reply = HELP
            elif line == ":list":
                reply = render_listing(library.list())
            elif line.startswith(":add "):
                result = library.add_source(line[5:].strip(), added_by="console", allow_files=True)
                state = "already in the library as" if result.duplicate else "added as"
                reply = f"{result.title!r} {state} {result.article_id} ({result.chunks} chunks)."
                if result.near_duplicate_of:
                    reply += (
                        f" It nearly repeats {result.near_duplicate_of}"
                        f" ({result.near_duplicate_title!r}): kept as another outlet's copy."
                    )
            else:
                reply = render_answer(library.ask(line), color=color)
        except ArticleBotError as err:
            reply = f"Sorry: {err}"
        stdout.write(reply + "\n")
        stdout.flush()
