"""Near-duplicate detection: a reprint matches its original, a different story does not."""

from __future__ import annotations

from index.similarity import NEAR_DUPLICATE, most_similar, signature, similarity

WIRE = (
    "Supporters of Shia militias in Iraq have stormed the US Embassy in Baghdad, setting fire "
    "to a guard tower and reception area, according to reports. An Associated Press reporter "
    "at the scene reported seeing flames rise from inside the compound and at least three US "
    "troops on its roof. Twenty-five people were killed in the attacks, which the US said were "
    "made in retaliation for a rocket attack on a base in Iraq."
)
REPRINT = "By Staff and wire reports\n" + WIRE + "\nVisit our homepage for more stories."
OTHER = (
    "Heavy rain flooded the river valley on Tuesday, and about 3,000 residents were evacuated "
    "from their homes by the fire brigade overnight. The mayor said the old dam had held."
)


def test_reprint_is_a_near_duplicate_and_other_story_is_not():
    wire = signature(WIRE)
    assert similarity(wire, signature(REPRINT)) >= NEAR_DUPLICATE
    assert similarity(wire, signature(OTHER)) < 0.2
    assert similarity(wire, wire) == 1.0


def test_most_similar_picks_the_reprint():
    found = most_similar(
        signature(REPRINT), [("flood", signature(OTHER)), ("wire", signature(WIRE))]
    )
    assert found is not None and found[0] == "wire"
    assert most_similar(signature(WIRE), []) is None


def test_short_and_empty_texts_have_signatures():
    assert similarity(signature("Two words"), signature("Two words")) == 1.0
    assert similarity(signature(""), signature("Something else entirely here now")) == 0.0
