"""The words the demo catalogs are made of: brands, yarn lines and their fibres, colours, tools, notions.

Private to the catalog modules: :mod:`demo_shops.universe` makes the real yarns of them, :mod:`demo_shops.yarns`
each shop's pages of those, :mod:`demo_shops.catalog` the tools and notions (tests read a few of them there).
"""

_BRANDS_YARN = ("Drops", "Lana Grossa", "Katia", "Rico Design", "Adriafil", "Gazzal", "Alize", "Lang Yarns")
_BRANDS_TOOLS = ("KnitPro", "ChiaoGoo", "Addi", "Clover", "Prym", "Pony")
_YARN_LINES = (
    # (line, fibres, weight g, length m, needles (min, max))
    ("Merino Extra Fine", ((100, "merino"),), 50, 105, ("4", "4,5")),
    ("Baby Cotton", ((60, "cotton"), (40, "acrylic")), 50, 165, ("3", "3,5")),
    ("Kid Mohair Silk", ((70, "mohair"), (30, "silk")), 25, 210, ("3,5", "5")),
    ("Alpaca Soft", ((80, "alpaca"), (20, "polyamide")), 50, 120, ("4,5", "5")),
    ("Sock Yarn 4ply", ((75, "wool"), (25, "polyamide")), 100, 420, ("2,5", "3")),
    ("Chunky Wool", ((100, "wool"),), 100, 80, ("8", "10")),
    ("Linen Blend", ((55, "linen"), (45, "cotton")), 50, 140, ("3,5", "4")),
    ("Tweed Aran", ((85, "wool"), (15, "viscose")), 100, 170, ("5", "5,5")),
)
_FIBRE_EL = {
    "merino": "μαλλί merino",
    "cotton": "βαμβάκι",
    "acrylic": "ακρυλικό",
    "mohair": "μοχέρ",
    "silk": "μετάξι",
    "alpaca": "αλπακά",
    "polyamide": "πολυαμίδιο",
    "wool": "μαλλί",
    "linen": "λινάρι",
    "viscose": "βισκόζη",
}
_COLOURS = (
    ("Κόκκινο", "Red", "01"),
    ("Μπλε", "Blue", "02"),
    ("Πράσινο", "Green", "03"),
    ("Λευκό", "White", "04"),
    ("Μαύρο", "Black", "05"),
    ("Γκρι", "Grey", "06"),
    ("Μπεζ", "Beige", "07"),
    ("Ροζ", "Pink", "08"),
    ("Κίτρινο", "Yellow", "09"),
    ("Πορτοκαλί", "Orange", "10"),
    ("Μωβ", "Purple", "11"),
    ("Καφέ", "Brown", "12"),
)
#: Colour codes past the twelve above are shades of them: code 13 is a dark red, 25 a light red, 37 red again.
_SHADES = (("", ""), ("Σκούρο", "Dark"), ("Ανοιχτό", "Light"))
#: Line words some Greek shops write in Greek letters: each transliterates back to the Latin word
#: (ELOT 743), as the words shops really write that way do. Others stay Latin.
_LINE_WORDS_EL = {
    "Merino": "Μερινό",
    "Extra": "Έξτρα",
    "Soft": "Σοφτ",
    "Linen": "Λίνεν",
    "Silk": "Σιλκ",
    "Aran": "Άραν",
}
#: Lines also made in a ball of twice the weight and length (the "same colour, other weight" trap).
_TWO_SIZE_LINES = ("Merino Extra Fine", "Baby Cotton", "Chunky Wool")
_NEEDLE_SIZES = ("2,5", "3", "3,5", "4", "4,5", "5", "6", "8")
_TOOLS = (
    # (kind, name el, name en, category id)
    ("needles", "Κυκλικές βελόνες", "Circular needles", 21),
    ("needles", "Ίσιες βελόνες", "Straight needles", 22),
    ("hook", "Βελονάκι", "Crochet hook", 30),
)
_NOTION_ITEMS = (
    ("Μαρκαδόροι πλέξης (20 τεμ.)", "Stitch markers (20 pcs)"),
    ("Μετροταινία", "Tape measure"),
    ("Βελόνες ραψίματος", "Darning needles"),
    ("Μετρητής βελονών", "Needle gauge"),
    ("Τσάντα πλεκτικής", "Knitting bag"),
)
