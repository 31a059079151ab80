"""The yarn rules' vocabulary, Greek and English: words, units and patterns, as data.

Fibre names, units of weight and length, needle and hook words, gauge terms, yarn weights, care
words, colour words, countries, product nouns and attribute-table keys, each with the patterns
compiled from them (against folded text: :func:`.folding.folded_re`). The order of a table is
its priority where the readers say so. No logic lives here: the readers that use these are in
:mod:`.field_readers`, :mod:`.product_type` and :mod:`.rules`.
"""

from __future__ import annotations

import re

from ecommerce_scraper.ai.folding import alternation, folded_re

YARD_M = 0.9144
OUNCE_G = 28.349523125


# --- numbers -------------------------------------------------------------------------------

# A number as shops print it, decimal comma or point; not a piece of a longer number or list.
_NUM = r"(?<![\d.,])\d{1,5}(?:[.,]\d{1,3})?(?![.,]?\d)"
_RANGE_SEP = r"\s*(?:-|–|—|έως|εως|to|μέχρι|ως)\s*"
_MM = r"(?:mm|χιλ(?:ιοστ\w*)?|χλστ?)\.?(?!\w)"
GROUPED = re.compile(r"[1-9]\d{0,2}[.,]\d{3}")


# --- fibres --------------------------------------------------------------------------------

# Canonical fibre -> words, most specific first: "extra fine merino wool" is merino wool, not wool,
# because merino comes first; "viscose from bamboo" is bamboo.
_FIBRES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("merino wool", (r"extra ?fine merino", r"super ?fine merino", r"merino", r"μεριν(?:ό|ο|ός|ού)")),
    ("kid mohair", (r"kid ?mohair", r"κιντ μοχέρ", r"kid μοχέρ")),
    ("baby alpaca", (r"baby alpaca", r"μπέιμπι αλπακά")),
    ("organic cotton", (r"organic cotton", r"(?:οργανικό|βιολογικό) βαμβάκι")),
    ("bamboo", (r"bamboo viscose", r"viscose (?:from|of) bamboo", r"bamboo", r"μπαμπού")),
    ("cashmere", (r"cashmere", r"κασμίρ\w*")),
    ("alpaca", (r"alpaca", r"αλπακ\w*", r"αλπάκ\w*")),
    ("mohair", (r"mohair", r"μοχέρ")),
    ("silk", (r"mulberry silk", r"silk", r"μετάξ\w*", r"μεταξωτ\w*")),
    ("cotton", (r"cotton", r"βαμβάκ\w*", r"βαμβακερ\w*")),
    ("linen", (r"linen", r"flax", r"λινό", r"λιν(?:ού|άρι|αριού)")),
    ("camel", (r"camel", r"καμήλ\w*")),
    ("yak", (r"yak", r"γιακ")),
    ("angora", (r"angora", r"αγκόρα")),
    ("wool", (r"virgin wool", r"new wool", r"lambs?'?s? ?wool", r"wool", r"μαλλί", r"μαλλιού")),
    ("acrylic", (r"acrylic", r"acryl", r"ακρυλικ\w*", r"ακριλικ\w*")),
    ("polyamide", (r"polyamide?", r"nylon", r"πολυαμίδ\w*", r"νάιλον", r"νάυλον")),
    ("polyester", (r"polyester", r"πολυεστέρ\w*", r"πολυέστερ")),
    ("viscose", (r"viscose", r"rayon", r"βισκόζ\w*")),
    ("metallic", (r"metallic", r"metal", r"lurex", r"λούρεξ", r"μεταλλικ\w*")),
    ("elastane", (r"elastane", r"spandex", r"lycra", r"ελαστάν\w*", r"λύκρα")),
    ("modal", (r"modal", r"μοντάλ")),
    ("lyocell", (r"lyocell", r"tencel", r"λυοσέλ")),
    ("polypropylene", (r"polypropylene", r"πολυπροπυλέν\w*")),
)
FIBRE_GROUP = {f"f{i}": name for i, (name, _) in enumerate(_FIBRES)}
FIBRE_RANK = {name: i for i, (name, _) in enumerate(_FIBRES)}
FIBRE_WORD = folded_re(
    r"(?<!\w)(?:" + "|".join(f"(?P<f{i}>{'|'.join(words)})" for i, (_, words) in enumerate(_FIBRES)) + r")(?!\w)"
)
PERCENT = folded_re(rf"(?P<pct>{_NUM})\s*%")
# What may stand between "75%" and its fibre: spaces and "of"; a delimiter ends the phrase.
PHRASE_AFTER = re.compile(r"\s*(?:of\s+)?([^\d%,;/+&()\[\]:|\n.]{1,40})")
PHRASE_DELIM = folded_re(r"[\d%,;/+&()\[\]:|\n.]|\s(?:-|–|—|και|and|με|with|ή|or)\s")
NOT_FIBRE_LEAD = folded_re(r"(?:off|discount|sale|less|more|cheaper|έκπτωσ\w*|φθηνότερ\w*|λιγότερ\w*|περισσότερ\w*)$")
SENTENCE_GAP = re.compile(r"[.;!?|](?:\s|$)|\n")
LIST_SPLIT = folded_re(r"\s*(?:[,;/+&|]|\s-\s|\s(?:και|and)\s)\s*")


# --- weight and length ------------------------------------------------------------------------

_GRAMS_UNIT = r"(?P<unit>kgs?|κιλ(?:ά|ό)|g|gr|grs|gram|grams|gramm|γρ|γραμ|γραμμ\w*)\.?(?!\w)"
GRAMS = folded_re(rf"(?P<n>{_NUM})\s*{_GRAMS_UNIT}")
KEYED_GRAMS = folded_re(rf"(?<!\w)(?:βάρος|weight|weighs|net wt)(?!\w)[^\d\n;]{{0,20}}?(?P<n>{_NUM})\s*{_GRAMS_UNIT}")
OUNCES = folded_re(rf"(?P<n>{_NUM})\s*(?:oz|ounces?|ουγγι\w*)\.?(?!\w)")
_METRES_UNIT = r"(?:m|mt|mtr|mtrs|mts|meters?|metres?|μ|μέτρα|μέτρων|μέτρο|μετ|μτ)\.?(?!\w)"
METRES = folded_re(rf"(?P<n>{_NUM})\s*{_METRES_UNIT}")
KEYED_METRES = folded_re(
    rf"(?<!\w)(?:μήκος|length|meterage|yardage|μετράζ)(?!\w)[^\d\n;]{{0,20}}?(?P<n>{_NUM})\s*{_METRES_UNIT}"
)
YARDS = folded_re(rf"(?P<n>{_NUM})\s*(?:yds?|yards?|γιάρδ\w*)\.?(?!\w)")
BARE_NUMBER = folded_re(rf"\s*(?P<n>{_NUM})\s*\.?\s*")


# --- needles and hooks ------------------------------------------------------------------------

NEEDLE_WORD = folded_re(r"(?<!\w)(?:βελόν(?:ες|α|ων)|needles?|dpns?|ndls?)(?!\w)")
HOOK_WORD = folded_re(r"(?<!\w)(?:βελονάκ(?:ι|ια|ιού|ιών)|crochet hooks?|hooks?|γάντζο\w*)(?!\w)")
MM_RANGE = folded_re(rf"(?P<lo>{_NUM})(?:(?:\s*{_MM})?{_RANGE_SEP}(?P<hi>{_NUM}))?\s*{_MM}")
# "Βελόνες: 3,5 - 4", "Βελονάκι Νο 3,5": a number straight after the word needs no unit.
BARE_SIZE = folded_re(
    rf"\s*[:=\-–]?\s*(?:(?:no|νο|nr|νούμερο|size|μέγεθος|#)\.?\s*:?\s*)?"
    rf"(?P<lo>{_NUM})(?:{_RANGE_SEP}(?P<hi>{_NUM}))?"
)
# What may follow a unitless size: nothing, punctuation, or a joining word; not a unit.
AFTER_BARE_SIZE = folded_re(r"\s*(?:$|[,;)\]]|(?:και|and|or|ή|για|for|με|with)(?!\w))")
LIST_BEFORE = re.compile(r"\d\s*,\s*$")
CLAUSE_END = re.compile(r"[;!?\n|]|\.(?=\s+[^\d\s])|\.$")
NUMBER_BEFORE_NEEDLES = folded_re(
    rf"{MM_RANGE.pattern}\s+(?:(?:knitting|circular|straight|double[- ]pointed|πλεξίματος|κυκλικές|ίσιες)\s+)?"
    r"(?:needles?|βελόνες|βελόνα)(?!\w)"
)
NUMBER_BEFORE_HOOK = folded_re(rf"{MM_RANGE.pattern}\s+(?:crochet\s+)?(?:hooks?|βελονάκι)(?!\w)")


# --- gauge -----------------------------------------------------------------------------------

_ST = r"(?:sts?|stitch(?:es)?|πόντοι|πόντους|πόντων|πόντ\.|θηλιές|θηλειές|θηλιών|π\.(?!χ))"
_ROWS = r"(?:rows?|rnds?|r\.|σειρές|σειρών|σειρ\.|σ\.)"
_GLUE = r"\s*(?:x|×|χ|&|and|και|,|/|\+|by)?\s*"
_GAUGE_NUM = r"(?<![\d.,\-–])\d{1,3}(?:[.,]\d)?(?![.,]?\d)"
GAUGE_PAIR = folded_re(rf"(?P<st>{_GAUGE_NUM})\s*{_ST}(?!\w){_GLUE}(?P<rows>{_GAUGE_NUM})\s*{_ROWS}(?!\w)")
GAUGE_PAIR_ROWS_FIRST = folded_re(rf"(?P<rows>{_GAUGE_NUM})\s*{_ROWS}(?!\w){_GLUE}(?P<st>{_GAUGE_NUM})\s*{_ST}(?!\w)")
GAUGE_WORD = folded_re(r"(?<!\w)(?:δείγμα|gauge|tension|πυκνότητα|πλεκτική πυκνότητα)(?!\w)")
GAUGE_STITCHES = folded_re(rf"(?P<st>{_GAUGE_NUM})\s*{_ST}(?!\w)")
STITCHES_OVER_10 = folded_re(rf"(?P<st>{_GAUGE_NUM})\s*{_ST}(?!\w)\s*(?:=|in|to|over|σε|ανά|:)\s*10\s*(?:cm|εκ)")
# The square a gauge is measured over, when stated: "= 10x10 εκ.", "over 4 in", "σε 5 εκ."
SQUARE = folded_re(r"(?P<size>\d{1,2})\s*(?:[x×χ]\s*\d{1,2}\s*)?(?P<unit>cm|εκ|in(?:ch(?:es)?)?|\")(?!\w)")


# --- yarn weight -----------------------------------------------------------------------------

_YARN_WEIGHTS: tuple[tuple[str, str], ...] = (  # multi-word terms first: "super chunky" before "chunky"
    ("super_bulky", r"super[\s-]?bulky|super[\s-]?chunky|extra[\s-]?chunky|jumbo"),
    ("dk", r"light[\s-]?worsted|double[\s-]?knit(?:ting)?|dk"),
    # "lace" beside pattern words is a lace pattern, not lace weight
    ("lace", r"lace[\s-]?weight|cobweb|lace(?!\s+(?:pattern|stitch|knit|work|shawl|edging|motif|panel|chart))"),
    ("fingering", r"fingering|sock(?![\s-]*(?:needles?|blockers?))"),
    ("sport", r"sport(?:[\s-]?weight)?"),
    ("worsted", r"worsted|afghan"),
    ("aran", r"aran"),
    ("bulky", r"bulky|chunky"),
)
PLY_WEIGHTS = {1: "lace", 2: "lace", 3: "fingering", 4: "fingering", 5: "sport", 8: "dk", 10: "worsted"}
PLY_WEIGHTS |= {12: "bulky", 14: "super_bulky"}
YARN_WEIGHT = folded_re(
    r"(?<![\w.,])(?:(?P<ply>\d{1,2})[\s-]?ply|"
    + "|".join(f"(?P<{name}>{words})" for name, words in _YARN_WEIGHTS)
    + r")(?!\w)"
)


# --- care ------------------------------------------------------------------------------------

CARE_WORD = folded_re(
    r"(?<!\w)(?:πλύσ\w*|πλύν\w*|πλέν\w*|πλυντ\w*|στεγνό καθάρισμα|στεγνοκαθάρισ\w*|στεγνωτήρι\w*"
    r"|σιδέρ\w*|χλώρι\w*|λευκαντικ\w*|hand ?wash\w*|machine ?wash\w*|wash\w*|dry ?clean\w*|tumble"
    r"|στέγνω\w*|bleach\w*|iron(?:ing)?|(?:dry|lay) flat|superwash)(?!\w)"
)
SENTENCE_END = re.compile(r"[.!?;](?=\s|$)|\n|\|")
CARE_STRIP = " -–—:,.;"
MAX_CARE_CLAUSE = 200


# --- colour ----------------------------------------------------------------------------------

COLOUR_WORD = folded_re(
    r"(?<!\w)(?:κωδ\w*\s+χρώματος|colou?r\s+code|χρώμα|χρωματισμός|απόχρωση|colou?r|shade|col\.?)(?![a-zα-ω])"
)
COLOUR_CODE = folded_re(r"(?<!\w)(?:(?:no|nr|νο|κωδ|code|#)\.?\s*)?(?P<code>[a-z]{0,3}-?\d{1,6}[a-z]?)(?!\w)")
CODE_AFTER_WORD = folded_re(
    r"\s*[:#]?\s*(?:(?:no|nr|νο|κωδ|code)\.?\s*:?\s*)?(?P<code>[a-z]{0,3}-?\d{1,6}[a-z]?)(?!\w)"
    r"(?!\s*(?:%|mm|cm|εκ|g|gr|γρ|m|μ|yds?)(?!\w))"
)
COLOUR_LIST = folded_re(r"[,;/|]|\s(?:και|and|&|ή|or)\s")
NOT_A_COLOUR = folded_re(
    r"as (?:pictured|shown)|see |picture|photo|φωτογραφ\w*|various|assorted|διάφορ\w*|δείτε|βλ\."
    r"|επιλογ\w*|choose|select"
)
NAME_TRIM = " ()[]#:-–—.,"
COLON = re.compile(r"\s*[:\-–]\s*")


# --- origin ----------------------------------------------------------------------------------

_COUNTRIES: dict[str, tuple[str, ...]] = {
    "Italy": ("italy", "ιταλία"),
    "Peru": ("peru", "περού"),
    "Turkey": ("turkey", "türkiye", "τουρκία"),
    "Greece": ("greece", "ελλάδα", "ελλάς"),
    "Germany": ("germany", "γερμανία"),
    "Norway": ("norway", "νορβηγία"),
    "Denmark": ("denmark", "δανία"),
    "Spain": ("spain", "ισπανία"),
    "Portugal": ("portugal", "πορτογαλία"),
    "France": ("france", "γαλλία"),
    "China": ("china", "κίνα"),
    "India": ("india", "ινδία"),
    "Japan": ("japan", "ιαπωνία"),
    "Uruguay": ("uruguay", "ουρουγουάη"),
    "Bolivia": ("bolivia", "βολιβία"),
    "Argentina": ("argentina", "αργεντινή"),
    "Chile": ("chile", "χιλή"),
    "Brazil": ("brazil", "βραζιλία"),
    "South Africa": ("south africa", "νότια αφρική", "νότιο αφρική"),
    "United Kingdom": (
        "united kingdom",
        r"u\.?k\.?",
        "great britain",
        "britain",
        "england",
        "scotland",
        "wales",
        "αγγλία",
        "σκωτία",
        "ηνωμένο βασίλειο",
        "μεγάλη βρετανία",
    ),
    "Ireland": ("ireland", "ιρλανδία"),
    "Iceland": ("iceland", "ισλανδία"),
    "United States": ("united states", r"u\.?s\.?a\.?", "ηπα", "ηνωμένες πολιτείες"),
    "Canada": ("canada", "καναδά", "καναδάς"),
    "Lithuania": ("lithuania", "λιθουανία"),
    "Latvia": ("latvia", "λετονία"),
    "Estonia": ("estonia", "εσθονία"),
    "Poland": ("poland", "πολωνία"),
    "Czech Republic": ("czech republic", "czechia", "τσεχία"),
    "Romania": ("romania", "ρουμανία"),
    "Bulgaria": ("bulgaria", "βουλγαρία"),
    "Hungary": ("hungary", "ουγγαρία"),
    "Austria": ("austria", "αυστρία"),
    "Switzerland": ("switzerland", "ελβετία"),
    "Belgium": ("belgium", "βέλγιο"),
    "Netherlands": ("netherlands", "holland", "ολλανδία"),
    "Sweden": ("sweden", "σουηδία"),
    "Finland": ("finland", "φινλανδία"),
    "Cyprus": ("cyprus", "κύπρος", "κύπρο"),
    "Egypt": ("egypt", "αίγυπτος", "αίγυπτο"),
    "Pakistan": ("pakistan", "πακιστάν"),
    "Bangladesh": ("bangladesh", "μπανγκλαντές"),
    "Vietnam": ("vietnam", "viet nam", "βιετνάμ"),
    "Indonesia": ("indonesia", "ινδονησία"),
    "Mongolia": ("mongolia", "μογγολία"),
    "Nepal": ("nepal", "νεπάλ"),
    "Australia": ("australia", "αυστραλία"),
    "New Zealand": ("new zealand", "νέα ζηλανδία"),
}
COUNTRY_GROUP = {f"c{i}": name for i, name in enumerate(_COUNTRIES)}
# Greek feminine names also stand in the genitive ("προϊόν Ιταλίας"): an optional final sigma.
COUNTRY = folded_re(
    r"(?:"
    + "|".join(
        f"(?P<c{i}>{alternation(w + ('ς?' if not w.isascii() else '') for w in words)})"
        for i, words in enumerate(_COUNTRIES.values())
    )
    + r")(?!\w)"
)
ORIGIN_LEAD = folded_re(
    r"(?<!\w)(?:made in|produced in|manufactured in|spun in|product of|country of origin|"
    r"χώρα (?:προέλευσης|κατασκευής|παραγωγής)|προέλευση|origin|"
    r"(?:κατασκευάζεται|κατασκευάστηκε|κατασκευασμέν\w*|παράγεται|παράχθηκε|φτιαγμέν\w*|φτιάχνεται|"
    r"παρασκευάζεται|προέρχεται από)(?:\s+(?:στην|στη|στο|στον|στις|στους|την|το))?)(?!\w)"
    r"\s*[:\-–]?\s*(?:(?:the|στην|στη|στο|στις|στους)\s+)?"
)
NOT_COUNTRIES = frozenset({"Europe", "European Union", "Asia", "Africa", "America", "South America", "Unknown"})
PROPER_NAME = re.compile(r"[A-Z][a-z]{2,}(?: [A-Z][a-z]+){0,2}(?![\w])")


# --- product type ----------------------------------------------------------------------------

_TYPE_WORDS: tuple[tuple[str, str], ...] = (  # in priority order (for names and categories)
    ("kit", r"κιτ|kits?"),
    (
        "pattern",
        r"πατρόν|patterns?|σχέδι(?:ο|α) (?:πλεξίματος|πλεκτικής|για πλέξιμο)|οδηγίες πλεξίματος"
        r"|βιβλί(?:ο|α)|e-?books?|books?|περιοδικ\w*|magazines?",
    ),
    ("other", r"gift ?cards?|δωροκάρτ\w*|δωροεπιταγ\w*|vouchers?"),
    (
        "notion",
        r"μαρκαδόρ\w*|markers?|τσάντ\w*|bags?|ψαλίδ\w*|scissors|snips|μεζούρ\w*|μετροταινί\w*"
        r"|tape measures?|measuring tapes?|κουμπ(?:ί|ιά|ιών)|buttons?|stitch holders?|counters?"
        r"|μετρητ(?:ής|ές|ών)|needle gauges?|θήκ(?:η|ες)|cases?"
        r"|βελόν(?:ες|α) (?:ραψίματος|μαλλιού|ταπισερί\w*)|(?:darning|tapestry|yarn|sewing|cable|wool) needles?"
        r"|βοηθητικ\w* βελόν\w*|pom[\s-]?pom makers?|blocking (?:mats?|pins|wires?|boards?)"
        r"|(?:ball|yarn) winders?|swifts?|yarn bowls?|αξεσουάρ|accessor(?:y|ies)|notions?|καρφίτσ\w*|organi[sz]ers?",
    ),
    ("hook", r"βελονάκ(?:ι|ια|ιού|ιών)|crochet hooks?|hooks?"),
    ("needles", r"βελόν(?:ες|α|ων)|needles?|dpns?"),
    ("yarn", r"νήμα|νήματα|νημάτων|yarns?|κουβάρ(?:ι|ια|ιών)|skeins?|hanks?|μαλλί|μαλλιά|wool balls?"),
)
TYPE_RES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, folded_re(rf"(?<!\w)(?:{words})(?!\w)")) for kind, words in _TYPE_WORDS
)
# Crafts and freebies, not products: "για πλέξιμο και βελονάκι" is a yarn's use, not a hook.
NOT_A_PRODUCT = folded_re(
    r"(?:πλέξιμο|πλέξη|πλεκτική)\s+(?:και|ή|&)\s+βελονάκι(?!\w)|(?:για|με)\s+βελονάκι(?!\w)"
    r"|knitting\s+(?:and|or|&)\s+crochet|free\s+patterns?|δωρεάν\s+(?:πατρόν|σχέδι\w*)"
    r"|with\s+(?:a\s+)?(?:free\s+)?pattern|με\s+(?:δωρεάν\s+)?πατρόν"
)

# A tool named as a yarn's recommendation, in a description: "Needles: 4 mm", "use 4 mm needles".
RECOMMENDED_TOOL = folded_re(
    r"(?<!\w)(?:needles?|βελόν(?:ες|α|ων)|βελονάκι|(?:crochet\s+)?hooks?)(?:\s+(?:size|μέγεθος))?\s*:"
    r"|(?<!\w)(?:recommended|suggested|προτεινόμεν\w*|use|με|on|with)\s+(?:\S+\s+)?"
    r"(?:needles?|βελόν(?:ες|α)|βελονάκι|(?:crochet\s+)?hooks?)(?!\w)"
)


# --- attribute tables ------------------------------------------------------------------------

# Attribute name -> what its value holds, first match wins ("Yarn weight" before "Weight",
# "Hook size" and "Needle size" before "Size").
KEYS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (folded_re(pattern), kind)
    for pattern, kind in (
        (r"κωδ\w* χρώμ|colou?r ?(?:code|no|nr|number)|shade ?(?:code|no|nr|number)", "colour_code"),
        (r"χρώμ|χρωματ|απόχρωσ|colou?r|shade", "colour"),
        (r"βελονάκ|hook", "hook"),
        (r"δείγμα|gauge|tension|πυκνότητ", "gauge"),
        (r"βελόν|needle", "needles"),
        (r"σύνθεσ|σύσταση|composition|fib(?:re|er)|περιεκτικ|content|(?<!\w)ίν(?:α|ες)(?!\w)", "composition"),
        (r"υλικ|material", "material"),
        (r"πάχος|yarn ?weight|weight ?(?:class|category|group)|(?<!\w)ply|thickness|standard weight", "yarn_weight"),
        (r"βάρος|weight|net wt", "weight"),
        (r"μήκος|length|meterage|yardage|μετράζ|(?<!\w)μέτρα(?!\w)", "length"),
        (r"φροντίδ|πλύσ|care|wash|συντήρησ", "care"),
        (r"προέλευσ|origin|χώρα|country|made in|κατασκευ", "origin"),
        (r"τύπος|είδος|(?<!\w)type|category|κατηγορία", "product_type"),
        (r"μέγεθος|size|νούμερο|διάμετρος|diameter", "size"),
    )
)
KEY_UNIT = folded_re(r"(?<!\w)(?:yds?|yards?|oz|ounces?|kg|g|gr|m|mm)(?!\w)")
TOOL_TYPES = ("needles", "hook", "notion")
