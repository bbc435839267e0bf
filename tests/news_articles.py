"""Hand-written news articles at known dates, shared by the news tests (facade and Discord).

Two outlets disagree on a death toll (25 vs 26), a third gives an estimate ("two dozen"), one
wire story is republished by three outlets with small edits, and a flood report is unrelated.
"""

from __future__ import annotations

STRIKES_BI = {
    "article_id": "bi-strikes",
    "title": "US strikes on Iraqi militia kill 25, officials say",
    "source": "Business Insider",
    "published": "2019-12-31",
    "url": "https://www.businessinsider.com/us-strikes-iraq-militia-2019-12",
    "text": (
        "US airstrikes on Sunday hit five bases of the Kataib Hezbollah militia in Iraq and "
        "Syria. The strikes killed 25 fighters and wounded 55 others, Iraqi security officials "
        "said on Monday. The Pentagon said the strikes were a response to a rocket attack that "
        "killed an American contractor near Kirkuk. Iraq's prime minister called the strikes a "
        "violation of the country's sovereignty."
    ),
}
STRIKES_REUTERS = {
    "article_id": "reuters-strikes",
    "title": "Death toll from US strikes in Iraq rises",
    "source": "Reuters",
    "published": "2020-01-01",
    "url": "https://www.reuters.com/article/iraq-security-toll",
    "text": (
        "The death toll from US airstrikes on the Kataib Hezbollah militia rose on Tuesday. "
        "Twenty-six fighters were killed in the strikes, a militia spokesman said, after one of "
        "the wounded died in hospital in Baghdad. Thousands of mourners attended funerals for "
        "the fighters, and protesters gathered outside the US Embassy."
    ),
}
STRIKES_ESTIMATE = {
    "article_id": "aj-strikes",
    "title": "Anger in Baghdad after US strikes",
    "source": "Al Jazeera",
    "published": "2019-12-30",
    "url": "https://www.aljazeera.com/news/2019/12/30/anger-in-baghdad",
    "text": (
        "Anger spread in Baghdad after US airstrikes on the Kataib Hezbollah militia. Two dozen "
        "fighters were killed in the strikes, witnesses said. Political leaders called for US "
        "troops to leave Iraq."
    ),
}
WIRE = (
    "Firefighters in New South Wales battled more than 100 bushfires on Saturday as "
    "temperatures climbed above 40 degrees Celsius across the state. About 4,000 residents of "
    "the coastal town of Eden were told to leave their homes before the wind changed in the "
    "afternoon. The Rural Fire Service said the largest blaze had burned through 250,000 "
    "hectares of forest since it started last month. Prime Minister Scott Morrison cut short "
    "his holiday and promised more help for volunteer firefighters, who have been working for "
    "weeks without a break."
)
WIRE_AP = {
    "article_id": "ap-fires",
    "title": "Thousands told to flee as Australian fires rage",
    "source": "Associated Press",
    "published": "2020-01-04",
    "url": "https://apnews.com/australia-fires-eden",
    "text": WIRE,
}
WIRE_GUARDIAN = {
    "article_id": "guardian-fires",
    "title": "Eden residents told to leave as bushfires rage in NSW",
    "source": "The Guardian",
    "published": "2020-01-04",
    "url": "https://www.theguardian.com/australia-news/2020/jan/04/eden-fires",
    "text": "By AP staff\n" + WIRE.replace("About 4,000", "Around 4,000"),
}
WIRE_ABC = {
    "article_id": "abc-fires",
    "title": "NSW bushfires: Eden evacuated",
    "source": "ABC News",
    "published": "2020-01-05",
    "url": "https://www.abc.net.au/news/2020-01-05/eden-evacuated",
    "text": WIRE.replace("on Saturday", "on Saturday afternoon")
    + " Visit our homepage for more stories.",
}
FLOOD = {
    "article_id": "flood",
    "title": "River floods the old town",
    "source": "Local Herald",
    "published": "2020-02-10",
    "url": None,
    "text": (
        "Heavy rain pushed the river over its banks on Thursday. About 1,200 residents were "
        "evacuated from the old town, and the mayor said the water would recede by the weekend."
    ),
}
STRIKES = [STRIKES_BI, STRIKES_REUTERS, STRIKES_ESTIMATE]
WIRES = [WIRE_AP, WIRE_GUARDIAN, WIRE_ABC]
TOLL_QUESTION = "How many fighters were killed in the US strikes?"
FIRES_QUESTION = "How many residents of Eden were told to leave?"
QUAKE_AFP = {
    "article_id": "afp-quake",
    "title": "Earthquake in Hatay kills 25",
    "source": "AFP",
    "published": "2023-02-20",
    "url": "https://www.afp.com/en/news/hatay-quake",
    "text": (
        "A magnitude 6.4 earthquake struck the southern province of Hatay on Monday evening, "
        "two weeks after the disaster that devastated the region. Twenty-five people were "
        "killed and hundreds were injured, the disaster agency AFAD said."
    ),
}
QUAKE_BBC = {
    "article_id": "bbc-quake",
    "title": "New Turkey quake: deaths in Hatay",
    "source": "BBC News",
    "published": "2023-02-21",
    "url": "https://www.bbc.com/news/world-europe-hatay",
    "text": (
        "Rescuers in Hatay searched collapsed buildings on Tuesday after a new magnitude 6.4 "
        "earthquake. The quake killed 25 people, Turkey's interior minister said, and more "
        "buildings that were damaged two weeks ago fell down."
    ),
}
QUAKES = [QUAKE_AFP, QUAKE_BBC]
QUAKE_QUESTION = "How many people were killed by the earthquake in Hatay?"
