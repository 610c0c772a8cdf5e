r"""How EMPIAR's deposition JSON spells people, choices and countries.

Shared by the EMPIAR exporter (``exports/empiar.py``), its validator and the EMPIAR rules
in :mod:`.rules`, so that what the rules accept is exactly what the exporter can write.

Names
-----
EMPIAR wants an author as a *Python-tuple string* ``"('Surname', 'Initials')"`` matching
``^\\('[^0-9!"£$%^&*()]+', '[^0-9!"£$%^&*()]+'\\)$``; its server reads it back as a Python
literal. Our model holds one full name per person, so :func:`split_name` decides:

* ``"Josiah Carberry"`` → surname ``Carberry``, given names ``Josiah`` → ``('Carberry', 'J')``;
* ``"Carberry, Josiah"`` (comma form) → the same;
* lower-case particles before the last word join the surname: ``"Ludwig van Beethoven"`` →
  ``('van Beethoven', 'L')``;
* hyphenated and dotted given names give one initial per part: ``"Jean-Luc Picard"`` →
  ``JL``, ``"J. R. R. Tolkien"`` → ``JRR``;
* a single word has no initials and is refused (``empiar.name.initials``).

**Apostrophes** (``O'Brien``): ``('O'Brien', 'J')`` passes EMPIAR's regex but is not a valid
Python literal, and Python's own ``("O'Brien", 'J')`` fails the regex. Decision: inside tuple
strings the ASCII apostrophe is written as the typographic apostrophe U+2019 (``('O’Brien',
'J')``), which satisfies both, keeps the name readable, and is announced by the warning
``empiar.name.apostrophe``. ``first_name``/``last_name`` fields are plain strings and keep the
ASCII apostrophe. Digits, parentheses and ``!"£$%^&*`` and backslashes are refused
(``empiar.name.characters``) because EMPIAR rejects them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

#: Characters EMPIAR refuses in person names (its schema), plus the backslash, which would
#: turn into an escape sequence when the server reads a tuple string as a Python literal.
FORBIDDEN_NAME_CHARS = frozenset('0123456789!"£$%^&*()\\')

TYPOGRAPHIC_APOSTROPHE = "\u2019"

#: The tuple-string pattern of EMPIAR's schema, anchored at both ends.
NAME_TUPLE = re.compile(r"""^\('[^0-9!"£$%^&*()]+', '[^0-9!"£$%^&*()]+'\)$""")

#: EMPIAR's citation DOI pattern (stricter than a DOI in general) and length limit.
EMPIAR_DOI = re.compile(r"^10.[0-9]{4,9}/[-._;()/:A-z0-9]+$")
EMPIAR_DOI_MAX = 80

MAX_SURNAME = 60
MAX_INITIALS = 20
MAX_FIRST_NAME = 60

_PARTICLES = frozenset(
    {
        "al",
        "bin",
        "da",
        "das",
        "de",
        "del",
        "della",
        "den",
        "der",
        "di",
        "dos",
        "du",
        "el",
        "la",
        "le",
        "st",
        "ten",
        "ter",
        "van",
        "von",
        "zu",
    }
)

#: ISO 3166-1 alpha-2 codes EMPIAR accepts (the enum of its 1.6b30 schema; includes FX and XK, not UK).
COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BR BS BT BV BW
    BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES
    ET FI FJ FK FM FO FR FX GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU
    ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT
    LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL
    NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH
    SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
    US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW""".split()
)


@dataclass(frozen=True)
class PersonName:
    """A full name split the way EMPIAR stores it."""

    given: str  # all given names, e.g. "Jean-Luc" ("" when only one word was given)
    surname: str
    initials: str  # e.g. "JL"

    def tuple_string(self) -> str:
        """``"('Surname', 'Initials')"``, apostrophes made typographic (see the module docstring)."""
        return name_tuple(self.surname, self.initials)


def _initials(given_words: list[str]) -> str:
    letters = []
    for word in given_words:
        for part in re.split(r"[-.\s]+", word):
            first = next((ch for ch in part if ch.isalpha()), "")
            if first:
                letters.append(first.upper())
    return "".join(letters)


def split_name(full_name: str) -> PersonName:
    """Split a full name into given names, surname and initials.

    Parameters
    ----------
    full_name
        As the depositor typed it: ``"Josiah Carberry"`` or ``"Carberry, Josiah"``.

    Returns
    -------
    PersonName
        ``initials`` is empty when no given name could be found.
    """
    text = " ".join(full_name.split())
    if "," in text:
        surname, _, given = text.partition(",")
        given_words = given.split()
        surname = surname.strip()
    else:
        words = text.split()
        if len(words) <= 1:
            return PersonName("", text, "")
        cut = len(words) - 1
        while cut - 1 >= 1 and words[cut - 1] in _PARTICLES:
            cut -= 1
        given_words, surname = words[:cut], " ".join(words[cut:])
    return PersonName(" ".join(given_words), surname, _initials(given_words))


def split_citation_author(text: str) -> PersonName:
    """Read one author of a citation list: Vancouver ``"Smith JA"`` or a full name ``"Jane A. Smith"``."""
    words = text.split()
    if len(words) >= 2 and re.fullmatch(r"[A-Z]{1,4}", words[-1].replace(".", "").replace("-", "")):
        initials = words[-1].replace(".", "").replace("-", "")
        return PersonName("", " ".join(words[:-1]), initials)
    return split_name(text)


def citation_authors(text: str) -> list[PersonName]:
    """Split a publication's author list (``"Carberry J, Souza A"``) into names; ``et al.`` is dropped."""
    names = []
    for chunk in re.split(r"[;,]|\band\b|&", text):
        chunk = chunk.strip().rstrip(".")
        if not chunk or chunk.casefold() in {"et al", "et al.", "others"}:
            continue
        names.append(split_citation_author(chunk))
    return names


def name_tuple(surname: str, initials: str) -> str:
    """Build EMPIAR's ``"('Surname', 'Initials')"`` string (ASCII apostrophes become U+2019)."""
    return f"('{_literal_safe(surname)}', '{_literal_safe(initials)}')"


def _literal_safe(text: str) -> str:
    return text.replace("'", TYPOGRAPHIC_APOSTROPHE)


def name_problems(name: PersonName) -> list[tuple[str, str]]:
    """What stops ``name`` from being written for EMPIAR, as ``(code, message)`` pairs.

    The apostrophe case is returned as ``empiar.name.apostrophe`` and is a warning for the
    caller (the name is written with U+2019); every other code is an error.
    """
    problems: list[tuple[str, str]] = []
    whole = f"{name.given} {name.surname}"
    bad = sorted({ch for ch in whole if ch in FORBIDDEN_NAME_CHARS})
    if bad:
        problems.append(
            (
                "empiar.name.characters",
                f"EMPIAR does not accept {' '.join(bad)} in names; write the name in letters only.",
            )
        )
    if not name.surname:
        problems.append(("empiar.name.surname", "EMPIAR needs a family name."))
    elif len(name.surname) > MAX_SURNAME:
        problems.append(("empiar.name.too_long", f"EMPIAR accepts family names of up to {MAX_SURNAME} characters."))
    if not name.initials:
        problems.append(
            (
                "empiar.name.initials",
                "EMPIAR needs given names as well as a family name (e.g. 'Josiah Carberry'), to form initials.",
            )
        )
    elif len(name.initials) > MAX_INITIALS:
        problems.append(("empiar.name.too_long", f"EMPIAR accepts up to {MAX_INITIALS} initials."))
    if len(name.given) > MAX_FIRST_NAME:
        problems.append(("empiar.name.too_long", f"EMPIAR accepts given names of up to {MAX_FIRST_NAME} characters."))
    if not problems and not is_valid_name_tuple(name.tuple_string()):
        problems.append(("empiar.name.characters", "EMPIAR cannot store this name as written."))
    if "'" in whole:
        problems.append(
            (
                "empiar.name.apostrophe",
                "EMPIAR reads names as Python text, where an apostrophe would end the name; "
                "it will be written with a typographic apostrophe (’).",
            )
        )
    return problems


def is_valid_name_tuple(value: str) -> bool:
    """Whether ``value`` matches EMPIAR's pattern *and* reads back as a 2-tuple of strings."""
    if not NAME_TUPLE.match(value):
        return False
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return False
    return isinstance(parsed, tuple) and len(parsed) == 2 and all(isinstance(part, str) for part in parsed)


def choice_tuple(code: str, other: str = "") -> str:
    """Build a choice tuple string: ``"('T3', '')"`` for a code, ``"('OT', 'TEXT')"`` for other."""
    return f"('{code}', '{_literal_safe(other) if code == 'OT' else ''}')"


def empiar_doi(doi: str) -> bool:
    """Whether EMPIAR's citation ``doi`` field accepts ``doi`` as it is."""
    return bool(EMPIAR_DOI.match(doi)) and len(doi) <= EMPIAR_DOI_MAX
