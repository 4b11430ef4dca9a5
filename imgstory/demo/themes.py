"""The demo world: 8 VIST-typical themes, each a story of 5 stages with a scene and sentences.

Theme keywords are defined here once; a story "names its theme" when one of its tokens is one of
them (:func:`names_theme`). Sentences are cased templates (``{m}``/``{f}`` a male/female name,
``{weather}`` the photo's weather word); :mod:`imgstory.demo.stories` fills and normalises them.
"""

from __future__ import annotations

from dataclasses import dataclass

STAGES_PER_STORY = 5
WEATHER_WORDS = {"sunny": "sunny", "cloudy": "cloudy", "snowing": "snowy"}
"""Weather shown in a photo -> the word a sentence's ``{weather}`` slot gets."""


@dataclass(frozen=True)
class SceneSpec:
    """How a stage looks: backdrop colours, where the ground starts, props, possible weathers.

    ``props`` is ``(prop name, fewest, most)``, drawn in order (see :data:`scenes.PROPS`);
    ``weathers`` are names from :data:`WEATHER_WORDS` or ``"clear"``/``"indoor"`` (no overlay).
    """

    sky: tuple[str, str]
    ground: str
    horizon: float
    props: tuple[tuple[str, int, int], ...]
    weathers: tuple[str, ...] = ("clear",)


@dataclass(frozen=True)
class Stage:
    """One step of a theme's story: its name, how its photos look, and how a teller says it."""

    name: str
    scene: SceneSpec
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Theme:
    """A kind of album (a beach day, a wedding...): keywords and 5 stages in story order."""

    name: str
    title: str
    keywords: tuple[str, ...]
    stages: tuple[Stage, ...]


def names_theme(story_text: str, theme: Theme) -> bool:
    """Whether a normalised story contains one of ``theme``'s keywords (as a whole token)."""
    return not set(story_text.lower().split()).isdisjoint(theme.keywords)


def theme_accuracy(stories: dict[str, str], album_themes: dict[str, str]) -> float:
    """Fraction of albums whose story (``album_id -> story``) names the album's theme.

    Raises:
        ValueError: a story's album has no known theme, or there are no stories.
    """
    if not stories:
        raise ValueError("no stories to score")
    unknown = sorted(set(stories) - set(album_themes))
    if unknown:
        raise ValueError(f"album {unknown[0]} has no theme ({len(unknown)} such albums)")
    named = sum(names_theme(text, THEMES_BY_NAME[album_themes[a]]) for a, text in stories.items())
    return named / len(stories)


OUTDOOR = ("sunny", "cloudy")

BEACH = Theme(
    name="beach",
    title="A day at the beach",
    keywords=("beach", "ocean", "sand", "waves", "sea", "sandcastle", "surf"),
    stages=(
        Stage(
            "arriving",
            SceneSpec(
                ("#5fa8e8", "#bfe3ff"),
                "#8a8a8a",
                0.6,
                (("sun", 1, 1), ("palm_tree", 1, 2), ("road", 1, 1), ("car", 1, 2)),
                OUTDOOR,
            ),
            (
                "It was a {weather} morning when we drove out to the beach.",
                "{m} and {f} packed the car and headed to the beach.",
                "We finally arrived at the beach parking lot after a long drive.",
                "The day at the ocean started with a {weather} drive down the coast.",
                "Our family loaded up the car for a trip to the beach.",
            ),
        ),
        Stage(
            "setting up",
            SceneSpec(
                ("#4a9be0", "#a8d8ff"),
                "#e8d39a",
                0.45,
                (("sea", 1, 1), ("umbrella", 1, 3), ("towel", 1, 3), ("person", 1, 3)),
                OUTDOOR,
            ),
            (
                "We set up our umbrella on the warm sand.",
                "{f} laid out the towels near the water.",
                "The beach was already full of people and colorful umbrellas.",
                "We found a perfect spot on the sand to spend the day.",
                "{m} put up the umbrella while everyone else relaxed.",
            ),
        ),
        Stage(
            "swimming",
            SceneSpec(
                ("#5aa0e0", "#b0dcff"),
                "#1f6fb5",
                0.35,
                (("waves", 1, 1), ("swimmer", 2, 4), ("surfboard", 0, 2)),
                OUTDOOR,
            ),
            (
                "The kids ran straight into the waves.",
                "{m} went for a swim in the cold ocean water.",
                "The waves were big enough to surf.",
                "We spent hours swimming in the sea.",
                "{f} was brave enough to swim out past the waves.",
            ),
        ),
        Stage(
            "building a sandcastle",
            SceneSpec(
                ("#6fb2ea", "#c7e8ff"),
                "#e3c98a",
                0.18,
                (("sandcastle", 1, 1), ("bucket", 1, 2), ("shell", 3, 6)),
                OUTDOOR,
            ),
            (
                "Then we built a huge sandcastle together.",
                "{f} decorated the sandcastle with little shells.",
                "The sandcastle was the best one on the beach.",
                "We collected shells to put on our sandcastle.",
                "{m} dug a moat around the sandcastle.",
            ),
        ),
        Stage(
            "sunset",
            SceneSpec(
                ("#5b3a8c", "#f6a04d"),
                "#2a3d66",
                0.62,
                (("setting_sun", 1, 1), ("silhouette", 1, 3)),
            ),
            (
                "We stayed to watch the sun set over the ocean.",
                "The sunset was the perfect end to our beach day.",
                "As the sun went down we said goodbye to the beach.",
                "{m} and {f} watched the sunset before heading home.",
                "The sky turned orange as the day at the sea came to an end.",
            ),
        ),
    ),
)

BIRTHDAY = Theme(
    name="birthday",
    title="A birthday party",
    keywords=("birthday", "candles", "presents", "balloons", "gifts"),
    stages=(
        Stage(
            "decorating",
            SceneSpec(
                ("#f7c6d9", "#f9dce8"),
                "#c9a27a",
                0.75,
                (("door", 0, 1), ("bunting", 1, 1), ("balloon", 3, 6)),
                ("indoor",),
            ),
            (
                "We decorated the house for {f}'s birthday.",
                "The balloons were ready for the birthday party.",
                "{m} hung up balloons all over the living room.",
                "Everything was set for the big birthday surprise.",
                "We spent the morning blowing up balloons for the party.",
            ),
        ),
        Stage(
            "guests arrive",
            SceneSpec(
                ("#fde7a6", "#fff3c9"),
                "#b58b62",
                0.7,
                (("party_guest", 3, 5), ("gift", 1, 3)),
                ("indoor",),
            ),
            (
                "Friends and family arrived with presents.",
                "All of {f}'s friends came to the birthday party.",
                "The guests put on their party hats.",
                "{m} greeted everyone at the door.",
                "Soon the house was full of guests and gifts.",
            ),
        ),
        Stage(
            "the cake",
            SceneSpec(
                ("#3b2a4a", "#5a4068"),
                "#6b4a3a",
                0.55,
                (("table", 1, 1), ("cake", 1, 1)),
                ("indoor",),
            ),
            (
                "Then came the cake with all the candles lit.",
                "{f} made a wish and blew out the candles.",
                "We turned off the lights and sang happy birthday.",
                "The birthday cake looked delicious.",
                "Everyone gathered around as the candles were lit.",
            ),
        ),
        Stage(
            "presents",
            SceneSpec(
                ("#bfe0f7", "#dff0fb"),
                "#c49a6c",
                0.5,
                (("gift", 4, 7), ("party_guest", 1, 2)),
                ("indoor",),
            ),
            (
                "After cake it was time to open the presents.",
                "{f} loved every one of her gifts.",
                "There were so many presents to unwrap.",
                "{m} gave her the biggest present of all.",
                "She tore the paper off each of her gifts.",
            ),
        ),
        Stage(
            "saying goodbye",
            SceneSpec(
                ("#f3b27a", "#fbe0b5"),
                "#5d9a45",
                0.62,
                (("tree", 1, 2), ("balloon_sky", 3, 5), ("party_guest", 1, 3)),
                OUTDOOR,
            ),
            (
                "At the end of the day we let the balloons go.",
                "The birthday party ended with games in the yard.",
                "Everyone said goodbye and thanked {f} for a great party.",
                "It was the best birthday she ever had.",
                "{m} and {f} waved goodbye to the last guests.",
            ),
        ),
    ),
)

WEDDING = Theme(
    name="wedding",
    title="A wedding",
    keywords=("wedding", "bride", "groom", "married", "vows", "newlyweds"),
    stages=(
        Stage(
            "arriving at the church",
            SceneSpec(
                ("#6aaee8", "#cde9ff"),
                "#6fae4f",
                0.65,
                (("sun", 0, 1), ("tree", 0, 2), ("church", 1, 1), ("person", 1, 3)),
                OUTDOOR,
            ),
            (
                "It was a {weather} day for {f}'s wedding.",
                "The guests arrived at the church for the wedding.",
                "The wedding was held at a small white church.",
                "We drove to the church early to help {f} get ready for the wedding.",
                "{m} and {f} were getting married today.",
            ),
        ),
        Stage(
            "the ceremony",
            SceneSpec(
                ("#f4ead7", "#fbf5ea"),
                "#b9a58a",
                0.7,
                (("aisle", 1, 1), ("flower_arch", 1, 1), ("couple", 1, 1), ("person", 0, 2)),
                ("indoor",),
            ),
            (
                "The bride walked down the aisle.",
                "{m} waited for his bride at the altar.",
                "The bride and groom stood under the flowers.",
                "The ceremony was beautiful and everyone was quiet.",
                "{f} looked amazing in her wedding dress.",
            ),
        ),
        Stage(
            "the vows",
            SceneSpec(
                ("#d9c7e8", "#efe4f6"),
                "#7a4f8f",
                0.6,
                (("flower", 3, 6), ("rings", 1, 1)),
                ("indoor",),
            ),
            (
                "They said their vows and exchanged rings.",
                "The rings were beautiful.",
                "{m} put the ring on {f}'s finger.",
                "They were finally married.",
                "After the vows the groom kissed the bride.",
            ),
        ),
        Stage(
            "the reception",
            SceneSpec(
                ("#2b2340", "#3e3358"),
                "#8a6f4e",
                0.62,
                (("string_lights", 1, 1), ("dance_floor", 1, 1), ("dancer", 3, 5)),
                ("indoor",),
            ),
            (
                "At the reception everyone danced all night.",
                "The bride and groom had their first dance.",
                "{m} danced with the bride.",
                "The reception hall was full of lights and dancing.",
                "Everyone hit the dance floor after dinner.",
            ),
        ),
        Stage(
            "leaving",
            SceneSpec(
                ("#f0a86a", "#ffd9a8"),
                "#8a8a8a",
                0.6,
                (("just_married_car", 1, 1), ("couple", 1, 1), ("confetti", 1, 1)),
            ),
            (
                "The newlyweds drove away in a car covered with cans.",
                "Everyone threw confetti as the couple left.",
                "{m} and {f} left for their honeymoon.",
                "It was a perfect wedding day.",
                "The bride and groom waved goodbye to their guests.",
            ),
        ),
    ),
)

SNOWY_HIKE = Theme(
    name="snowy_hike",
    title="A hike with wildlife in a snowy forest",
    keywords=("hike", "hiking", "trail", "forest", "woods", "deer", "cabin"),
    stages=(
        Stage(
            "the trailhead",
            SceneSpec(
                ("#a9b8c8", "#dfe6ee"),
                "#f2f5f8",
                0.55,
                (("pine_tree", 3, 5), ("trail_sign", 1, 1), ("hiker", 1, 3)),
                ("snowing", "cloudy", "sunny"),
            ),
            (
                "We started our hike on a {weather} winter morning.",
                "{m} and {f} met at the trail head for a winter hike.",
                "The trail was covered in fresh snow.",
                "We went hiking in the snowy forest.",
                "It was a {weather} day for a hike in the woods.",
            ),
        ),
        Stage(
            "on the trail",
            SceneSpec(
                ("#b7c4d1", "#e6ecf1"),
                "#eef2f6",
                0.35,
                (("path", 1, 1), ("pine_tree", 6, 9), ("hiker", 1, 2)),
                ("snowing", "cloudy"),
            ),
            (
                "The trail wound through tall pine trees.",
                "{f} led the way through the woods.",
                "The snow in the forest was deep and quiet.",
                "We followed the trail deeper into the woods.",
                "The pine trees were heavy with snow.",
            ),
        ),
        Stage(
            "wildlife",
            SceneSpec(
                ("#c2ccd6", "#eaeff3"),
                "#f4f6f9",
                0.5,
                (("pine_tree", 2, 4), ("footprints", 1, 1), ("deer", 1, 2), ("fox", 0, 1)),
                ("snowing", "cloudy"),
            ),
            (
                "Suddenly we spotted a deer between the trees.",
                "{m} saw a fox running across the snow.",
                "A family of deer watched us from the woods.",
                "We saw animal tracks in the snow and followed them.",
                "The deer did not seem afraid of us.",
            ),
        ),
        Stage(
            "the frozen lake",
            SceneSpec(
                ("#7fb0e0", "#d2e6f7"),
                "#dfe9f2",
                0.5,
                (("mountains", 1, 1), ("frozen_lake", 1, 1), ("pine_tree", 1, 3)),
                OUTDOOR,
            ),
            (
                "We reached a frozen lake with mountains behind it.",
                "The view from the top of the trail was amazing.",
                "{f} took a picture of the frozen lake.",
                "The mountains were covered in snow.",
                "We stopped to rest by the icy lake.",
            ),
        ),
        Stage(
            "back at the cabin",
            SceneSpec(
                ("#1f2a4d", "#4a5a8a"),
                "#cfd8e6",
                0.6,
                (("stars", 1, 1), ("pine_tree", 2, 3), ("cabin", 1, 1), ("campfire", 1, 1)),
            ),
            (
                "At dusk we made it back to the cabin.",
                "We warmed up by the fire after a long hike.",
                "{m} built a campfire outside the cabin.",
                "The hike ended with hot chocolate by the fire.",
                "It was cold and dark when we got back to our cabin.",
            ),
        ),
    ),
)

SNOWY_CITY = Theme(
    name="snowy_city",
    title="A snowy day in the city",
    keywords=("city", "downtown", "street", "streets", "snowman", "skating"),
    stages=(
        Stage(
            "snowfall",
            SceneSpec(
                ("#8e98a6", "#c9d0d9"),
                "#eef1f5",
                0.72,
                (("buildings", 1, 1), ("lamp_post", 1, 2)),
                ("snowing",),
            ),
            (
                "It snowed all night in the city.",
                "We woke up to a {weather} morning downtown.",
                "The city was covered in snow.",
                "Snow fell over the buildings downtown.",
                "{f} looked out at the snowy city from her window.",
            ),
        ),
        Stage(
            "walking the streets",
            SceneSpec(
                ("#9aa4b1", "#d0d6de"),
                "#6f747b",
                0.5,
                (("buildings", 1, 1), ("car", 1, 2), ("lamp_post", 1, 2), ("walker", 2, 4)),
                ("snowing", "cloudy"),
            ),
            (
                "We walked down the snowy streets.",
                "The cars moved slowly down the street.",
                "{m} and {f} bundled up and walked around the city.",
                "People were out shopping on the street in the snow.",
                "The streets were quiet and white.",
            ),
        ),
        Stage(
            "the snowman",
            SceneSpec(
                ("#b3bcc7", "#e1e6ec"),
                "#f6f8fb",
                0.45,
                (("bare_tree", 1, 3), ("snowman", 1, 1), ("kid", 1, 3)),
                ("snowing", "cloudy"),
            ),
            (
                "The kids built a snowman in the park.",
                "{f} gave the snowman a carrot nose.",
                "Our snowman was taller than {m}.",
                "We spent the afternoon making a snowman.",
                "Everyone helped to build the biggest snowman in the city.",
            ),
        ),
        Stage(
            "skating",
            SceneSpec(
                ("#9fb2c8", "#d6e0ea"),
                "#e9eef3",
                0.45,
                (("buildings", 1, 1), ("rink", 1, 1), ("skater", 2, 4)),
                ("snowing", "cloudy"),
            ),
            (
                "Then we went ice skating downtown.",
                "The skating rink was crowded.",
                "{m} fell down while skating but laughed it off.",
                "{f} skated in circles around the rink.",
                "Skating in the city was so much fun.",
            ),
        ),
        Stage(
            "city lights",
            SceneSpec(
                ("#0f1633", "#2b3566"),
                "#c5cbe0",
                0.7,
                (("lit_buildings", 1, 1), ("string_lights", 1, 1), ("lamp_post", 1, 2)),
                ("snowing",),
            ),
            (
                "At night the city lights came on.",
                "The street lights made the snow sparkle.",
                "We walked home through the glowing streets.",
                "The city looked magical at night.",
                "{m} and {f} ended the day downtown among the lights.",
            ),
        ),
    ),
)

CONCERT = Theme(
    name="concert",
    title="A concert",
    keywords=("concert", "band", "music", "singer", "guitar", "drummer"),
    stages=(
        Stage(
            "outside the venue",
            SceneSpec(
                ("#3b3f7a", "#e08a5a"),
                "#55575e",
                0.7,
                (("venue", 1, 1), ("walker", 3, 5)),
            ),
            (
                "We lined up outside for the concert.",
                "{m} got us tickets to see our favorite band.",
                "The line for the concert went around the block.",
                "We arrived early to get good spots for the concert.",
                "Everyone was excited to hear the band play.",
            ),
        ),
        Stage(
            "the band",
            SceneSpec(
                ("#0c0c18", "#1c1c30"),
                "#2a2a2a",
                0.62,
                (("spotlights", 1, 1), ("stage_platform", 1, 1), ("musician", 3, 4)),
                ("indoor",),
            ),
            (
                "The band came out and started to play.",
                "The stage lights were amazing.",
                "The band played all of their hits.",
                "The music was so loud we could feel it.",
                "{f} could not believe how good the band sounded.",
            ),
        ),
        Stage(
            "the singer",
            SceneSpec(
                ("#160a22", "#301a44"),
                "#3a2a3a",
                0.78,
                (("spotlights", 1, 1), ("singer", 1, 1)),
                ("indoor",),
            ),
            (
                "The singer had an incredible voice.",
                "{f} sang along to every song.",
                "The lead singer walked to the front of the stage.",
                "The singer's voice filled the room.",
                "We got close enough to see the singer.",
            ),
        ),
        Stage(
            "the crowd",
            SceneSpec(
                ("#1a0f2e", "#4a1d5c"),
                "#120a1a",
                0.55,
                (("light_beams", 1, 1), ("crowd", 1, 1)),
                ("indoor",),
            ),
            (
                "The crowd went wild.",
                "Everyone had their hands in the air.",
                "{m} jumped up and down with the rest of the crowd.",
                "The whole crowd was dancing to the music.",
                "We were packed in tight with the other fans.",
            ),
        ),
        Stage(
            "after the show",
            SceneSpec(
                ("#05060f", "#1a1f3a"),
                "#3a3d45",
                0.66,
                (("moon", 1, 1), ("stars", 1, 1), ("lamp_post", 2, 3), ("walker", 1, 3)),
            ),
            (
                "After the concert we walked out into the night.",
                "Our ears were ringing as we left the concert.",
                "{m} and {f} talked about the show all the way home.",
                "It was the best concert we had ever seen.",
                "We went home tired but happy after the music ended.",
            ),
        ),
    ),
)

GRADUATION = Theme(
    name="graduation",
    title="A graduation",
    keywords=("graduation", "graduate", "graduates", "diploma", "gown", "gowns", "caps"),
    stages=(
        Stage(
            "on campus",
            SceneSpec(
                ("#5ea6ea", "#c3e3ff"),
                "#66a84a",
                0.62,
                (("sun", 0, 1), ("campus_hall", 1, 1), ("tree", 1, 2), ("graduate", 1, 3)),
                OUTDOOR,
            ),
            (
                "It was a {weather} day for {f}'s graduation.",
                "The graduates gathered in front of the hall.",
                "{m} put on his gown and cap for graduation.",
                "We arrived on campus for the graduation ceremony.",
                "Today was finally graduation day.",
            ),
        ),
        Stage(
            "the speeches",
            SceneSpec(
                ("#f1f1f1", "#e3e3e3"),
                "#5f9a45",
                0.4,
                (("podium", 1, 1), ("seated_rows", 1, 1)),
                ("indoor",),
            ),
            (
                "The graduates sat in long rows of chairs.",
                "We listened to the speeches before the diplomas were handed out.",
                "The ceremony started with a speech from the dean.",
                "{f} sat with the other graduates.",
                "There were hundreds of graduates in their gowns.",
            ),
        ),
        Stage(
            "the diploma",
            SceneSpec(
                ("#1e3a6e", "#2d5396"),
                "#7a5a3a",
                0.7,
                (("handshake", 1, 1),),
                ("indoor",),
            ),
            (
                "{f} walked across the stage to get her diploma.",
                "The dean shook hands with each graduate.",
                "{m} proudly held up his diploma.",
                "Finally it was her turn to get her diploma.",
                "We cheered when her name was called.",
            ),
        ),
        Stage(
            "caps in the air",
            SceneSpec(
                ("#4d9be6", "#b5dcff"),
                "#66a84a",
                0.85,
                (("flying_cap", 6, 12), ("cheering_graduate", 2, 4)),
                OUTDOOR,
            ),
            (
                "Then everyone threw their caps in the air.",
                "The graduates tossed their caps high into the sky.",
                "Caps flew everywhere as the class celebrated.",
                "{m} threw his cap higher than anyone.",
                "It was time to celebrate.",
            ),
        ),
        Stage(
            "the family picture",
            SceneSpec(
                ("#79b7ec", "#d3ebff"),
                "#6db055",
                0.6,
                (("tree", 2, 3), ("flower", 2, 5), ("family_group", 1, 1)),
                OUTDOOR,
            ),
            (
                "We took a family picture with the new graduate.",
                "{f}'s parents were so proud of her.",
                "After the ceremony we went out to celebrate as a family.",
                "{m} and {f} posed for one last picture in their gowns.",
                "It was a day the whole family will remember.",
            ),
        ),
    ),
)

FOOTBALL = Theme(
    name="football",
    title="A football game",
    keywords=("football", "stadium", "touchdown", "quarterback", "tailgate", "team", "teams"),
    stages=(
        Stage(
            "tailgating",
            SceneSpec(
                ("#64a6e6", "#c8e4ff"),
                "#7b7d80",
                0.55,
                (("car", 2, 3), ("grill", 1, 1), ("fan", 2, 4)),
                OUTDOOR,
            ),
            (
                "We got to the stadium early to tailgate.",
                "It was a {weather} day for a football game.",
                "{m} fired up the grill before the football game.",
                "Fans were having a tailgate all over the parking lot.",
                "Our whole group wore team colors to the game.",
            ),
        ),
        Stage(
            "the stadium",
            SceneSpec(
                ("#5a9fe3", "#bfe0ff"),
                "#3f8f3a",
                0.55,
                (("stands", 1, 1), ("field_lines", 1, 1)),
                OUTDOOR,
            ),
            (
                "Our seats had a great view of the field.",
                "The stadium was packed with fans.",
                "The teams ran out onto the field.",
                "{f} had never been to a stadium this big.",
                "The players warmed up before kickoff.",
            ),
        ),
        Stage(
            "the play",
            SceneSpec(
                ("#6b6b6b", "#8a8a8a"),
                "#3c8a36",
                0.15,
                (("field_lines", 1, 1), ("player", 4, 7), ("ball", 1, 1)),
                OUTDOOR,
            ),
            (
                "The quarterback threw a long pass.",
                "Our team ran the ball down the field.",
                "{m} could not believe that catch.",
                "The defense stopped them at the goal line.",
                "The players fought hard for every yard.",
            ),
        ),
        Stage(
            "the touchdown",
            SceneSpec(
                ("#5a9fe3", "#bfe0ff"),
                "#3c8a36",
                0.65,
                (("scoreboard", 1, 1), ("cheering_fan", 3, 5)),
                OUTDOOR,
            ),
            (
                "Touchdown! The fans went crazy.",
                "We scored a touchdown in the last minute.",
                "The scoreboard showed we were winning.",
                "{f} jumped up to cheer for the touchdown.",
                "Our team took the lead.",
            ),
        ),
        Stage(
            "the drive home",
            SceneSpec(
                ("#0b1026", "#232c55"),
                "#4a4c50",
                0.6,
                (("stadium_lights", 2, 2), ("night_car", 2, 3)),
            ),
            (
                "We drove home happy after the win.",
                "The stadium lights were still on as we left.",
                "It was a great night of football.",
                "{m} and {f} cheered all the way home.",
                "Traffic leaving the stadium was slow but we did not care.",
            ),
        ),
    ),
)

THEMES: tuple[Theme, ...] = (
    BEACH,
    BIRTHDAY,
    WEDDING,
    SNOWY_HIKE,
    SNOWY_CITY,
    CONCERT,
    GRADUATION,
    FOOTBALL,
)
THEMES_BY_NAME = {theme.name: theme for theme in THEMES}
