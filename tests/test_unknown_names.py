"""Names the library never mentions: found with spelling slips forgiven, refused end to end."""

from __future__ import annotations

import json

from index.lexical import tokenize
from index.unknown_names import one_edit_away, question_names, unknown_names
from tests.cli_run import run_cli

LIBRARY_TEXT = (
    "Connecticut's official nickname is the Constitution State. The Löwenheim–Skolem theorem "
    "was proved by Thoralf Skolem. Rain falls on Mount Waiʻaleʻale on Kauai. Hartford is the "
    "capital, and its insurers employ thousands during World War II."
)
VOCABULARY = set(tokenize(LIBRARY_TEXT))


def test_a_name_no_chunk_holds_is_unknown():
    assert unknown_names("How tall is the Eiffel Tower?", VOCABULARY) == ("Eiffel", "Tower")
    assert unknown_names("What is the nickname of Connecticut?", VOCABULARY) == ()


def test_misspelt_and_unaccented_names_are_known():
    # One edit away: a transposed or doubled letter, a vowel for another.
    assert unknown_names("When did Connectitcut become a state?", VOCABULARY) == ()
    assert unknown_names("Who proved the Lowenheim theorem, Skollem?", VOCABULARY) == ()
    assert unknown_names("On which island is Mount Wai'ale'ale?", VOCABULARY) == ()
    assert "connecticut" in one_edit_away("connectitcut")


def test_abbreviations_title_case_and_lower_case_name_nothing():
    # Capitals are often spelt out in the article ("World War II" for "WWII").
    assert question_names("What did Hartford insurers do during WWII?") == ["Hartford"]
    # Every word capitalised says nothing about which ones are names.
    assert question_names("How Many People Were Killed In The Strikes?") == []
    assert question_names("who is the chief executive of microsoft?") == []
    # A capital that starts a sentence of the question marks no name.
    assert question_names("How many died? Please answer. Who said so, Pompeo?") == ["Pompeo"]


def test_the_bot_says_which_name_no_article_mentions(tmp_path):
    home = tmp_path / "home"
    done = run_cli(home, "ask", "--json", "Who is the chief executive of Microsoft?")
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["answer"] is None and reply["passages"] == []
    assert reply["unknown_names"] == ["Microsoft"]
    done = run_cli(home, "ask", "Who is the chief executive of Microsoft?")
    assert "No article mentions Microsoft." in done.stdout
    # A name the sample articles hold is answered as before.
    done = run_cli(home, "ask", "--json", "Who did Trump accuse of being behind the attack?")
    reply = json.loads(done.stdout)
    assert "Iran" in reply["answer"] and "unknown_names" not in reply
