"""Test articles shared by several test files: a whole article page, a paywalled teaser, the
earthquake report the Discord tests ask about, and a small library around it."""

from __future__ import annotations

FULL_TITLE = "Dam holds after record rain"
FULL_PARAGRAPHS = [
    "Heavy rain flooded the river valley on Tuesday, and about 3,000 residents were evacuated "
    "from their homes by the fire brigade overnight, officials said.",
    "The mayor, Anna Keller, said the old dam had held despite the record water level, and that "
    "engineers would inspect it again on Thursday morning before anyone could return.",
    "Trains between the two cities were cancelled, and the regional airport closed its only "
    "runway for most of the day as water covered the access road and the car parks.",
    "Farmers in the lower valley said the flood had destroyed most of the spring harvest, and "
    "the regional government promised emergency payments within two weeks.",
    "Forecasters expect more rain at the weekend, though less than fell on Tuesday, and the "
    "river is expected to stay high until the middle of next week.",
    "Volunteers filled sandbags in the market square through the night, and schools in three "
    "villages will stay closed until the roads have been checked.",
]
# A news page as outlets serve it: site name, byline and date in the metadata, navigation and
# footer around the article, a dateline before the first paragraph. About 170 words.
FULL_PAGE = (
    "<!doctype html><html><head><title>Dam holds after record rain | Valley News</title>"
    f'<meta property="og:title" content="{FULL_TITLE}">'
    '<meta property="og:site_name" content="Valley News">'
    '<meta name="author" content="Maria Lopez">'
    '<meta property="article:published_time" content="2024-05-14T08:00:00Z"></head>'
    "<body><nav>Home | World | Sport</nav><article>"
    f"<h1>{FULL_TITLE}</h1><p>VALLEY CITY, May 14</p>"
    + "".join(f"<p>{p}</p>" for p in FULL_PARAGRAPHS)
    + "</article><footer>Copyright Valley News</footer></body></html>"
)

SHORT_TITLE = "Finance minister resigns"
SHORT_TEASER = (
    "The finance minister resigned on Friday after a week of pressure over the budget, her "
    "office said in a short statement."
)
# What a paywall serves: the headline, the first paragraph, and a call to subscribe.
SHORT_PAGE = (
    f"<html><head><title>{SHORT_TITLE}</title></head><body><article><h1>{SHORT_TITLE}</h1>"
    f"<p>{SHORT_TEASER}</p><p>Subscribe to continue reading this article.</p>"
    "</article></body></html>"
)

QUAKE_TITLE = "Earthquake kills 25 in Hatay"
QUAKE = (
    "A magnitude 6.4 earthquake struck the southern province of Hatay early on Monday, "
    "collapsing dozens of buildings. Twenty-five people were killed and more than 300 were "
    "injured, the national disaster agency said. Rescue teams worked through the night to reach "
    "survivors trapped under the rubble. The quake was felt as far away as Cyprus and Lebanon."
)
QUAKE_QUESTION = "How many people were killed in the earthquake?"
LIBRARY = [
    {"title": QUAKE_TITLE, "text": QUAKE},
    {
        "title": "Hatay death toll rises",
        "text": "The death toll from Monday's earthquake in Hatay rose to twenty-five people "
        "killed, officials said on Tuesday. Hospitals in the province treated hundreds of "
        "injured people overnight.",
    },
    {
        "title": "River floods the old town",
        "text": "Heavy rain pushed the river over its banks on Thursday. About 1,200 residents "
        "were evacuated from the old town, and the mayor said the water would recede by the "
        "weekend.",
    },
    {
        "title": "Council approves budget",
        "text": "The city council approved next year's budget on Wednesday by 31 votes to 12. "
        "The budget raises spending on schools and roads and cuts the parking fee.",
    },
]

# Three three-line reports for tests that add, remove and re-add small articles under stress.
SMALL_QUAKE = (
    "A strong earthquake struck the coastal city of Izmir on Friday.\n"
    "Twenty-five people were killed and more than 800 were injured, the disaster agency said.\n"
    "Rescue teams searched collapsed buildings through the night."
)
SMALL_FLOOD = (
    "Heavy rain flooded the river valley on Tuesday.\n"
    "About 3,000 residents were evacuated from their homes by the fire brigade.\n"
    "The mayor, Anna Keller, said the dam had held."
)
SMALL_FERRY = (
    "The island ferry resumed service on Sunday after a week of storms.\n"
    "The operator said 1,200 passengers had been stranded on the mainland.\n"
    "Extra crossings were added for Monday morning."
)
