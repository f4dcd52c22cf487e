"""Regular expressions and word lists the extractor reads a coder's text with.

Kept apart from the logic so the rules of the field are in one place: what a code looks
like, how coders attach modifiers and units, and what numbers in a mail are *not* codes.
"""

from __future__ import annotations

import re

# --- candidate shapes ---------------------------------------------------------------------
# One pass finds every token shaped like a code; the extractor then classifies it.
#   icd: ICD-10-CM, dotted or not (M17.11, M1711, e11.9, T81.4XXA, I10); also HCPCS A1234
#   num: CPT (99214), Category II/III and PLA (3074F, 0042T, 0001U); 7-char PCS starting 4 digits
#   pcs: ICD-10-PCS, 7 characters (0SRC0J9, 3E0234Z)
CANDIDATE_RE = re.compile(
    r"(?<![\w$@.\\])"
    r"(?:"
    r"(?P<icd>[A-Za-z]\d[0-9A-Za-z](?:\.[0-9A-Za-z]{1,4}|\d\d(?=[xX]\d{1,3}(?![\w.]))|[0-9A-Za-z]{1,4})?)"
    r"|(?P<num>\d{4}[0-9A-Za-z](?:(?!(?<=\d{5})[xX]\d{1,3}(?![\w.]))[0-9A-Za-z]{2})?)"
    r"|(?P<pcs>[0-9B-DF-HXb-df-hx][0-9A-HJ-NP-Za-hj-np-z]{6})"
    r")"
    # (99213s, 99213's, 99214and, J1885x2)
    r"(?:(?![\w@]|\.\d|,\d{3}\b|-\d{4}\b)|(?='?s(?![\w]))|(?<=\d)(?=(?:and|with)[ \t])"
    r"|(?<=\d\d\d\d)(?=[xX]\d{1,3}(?![\w.])))"
)
# the same for an ASCII text (where \w and \d mean the same either way): ASCII classes are faster
CANDIDATE_ASCII_RE = re.compile(CANDIDATE_RE.pattern, re.ASCII)
# a list number glued to a code ("1.99213-25", "Dx:1.M17.11 2.M25.561"): its dot is read as a blank
LIST_NUMBER_DOT_RE = re.compile(r"\.(?=\d{5}(?![\d.])|[A-Za-z]\d\d)")  # a literal first: a fast scan

CPT_RE = re.compile(r"^(?:\d{5}|\d{4}[FTU])$")
HCPCS_RE = re.compile(r"^[A-CEGHJ-MP-V]\d{4}$")
ICD_CM_RE = re.compile(r"^[A-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")
PCS_RE = re.compile(r"^[0-9B-DF-HX][0-9A-HJ-NP-Z]{6}$")

# --- what comes right after a code: modifiers and units -----------------------------------
# (blank runs written possessive, [ \t]*+ / [ \t]++, are ones that what follows cannot start with a
# blank: giving blanks back never matches more, and failing, the most common outcome, is faster)
_MOD = r"([A-Za-z0-9]{2})(?![\w])"
MOD_WORD = r"mod(?:ifier)?s?\.?"
# 99214-25, 99214 -25, 20610-RT-59, 99214-mod 25, 99214 - modifier 25
TAIL_HYPHEN_RE = re.compile(r"[ \t]*[-–—][ \t]*(?:" + MOD_WORD + r"[ \t:#]*-?[ \t]*)?" + _MOD)
# 99214 mod 25, 99214 w/ modifier 25, 99214 with modifiers 25 and 59, 99214, modifier 25
TAIL_MODWORD_RE = re.compile(
    r"[ \t]*+,?[ \t]*+(?:(?:with|w/|plus|\+|and)[ \t]*+)?(?:(?:a|an|the)[ \t]++)?"
    + MOD_WORD
    + r"[ \t:#=]*+-?[ \t]*+"
    + _MOD
)
# 99214 with a 25, 99214 w/ 25, 99214 with 25 modifier, 20610 with an RT
TAIL_WITH_RE = re.compile(r"[ \t]+(?:with|w/|w(?=[ \t])|plus|\+)[ \t]*(?:(?:a|an|the)[ \t]+)?-?" + _MOD)
# 99214 25, 20610 RT, J3301 JZ (bare)
TAIL_BARE_RE = re.compile(r"[ \t]+" + _MOD)
# 99214(25), 20610 (RT), 99214 (mod 25)
TAIL_PAREN_RE = re.compile(
    r"[ \t]*\([ \t]*(?:" + MOD_WORD + r"[ \t:#]*)?-?[ \t]*([A-Za-z0-9]{2})"
    r"((?:[ \t]*(?:,|/|&|and)[ \t]*-?[ \t]*[A-Za-z0-9]{2})*)[ \t]*\)"
)
# a modifier followed by this belongs to the next code: "mod 25 on 99214 and mod 59 on 97140"
FORWARD_REF_RE = re.compile(
    r"[ \t]+(?:on|to|onto|for)[ \t]+(?:the[ \t]+)?(?:cpt[ \t]+|code[ \t]+)?(?-i:\d{4}|[A-Z]\d)", re.IGNORECASE
)
# continuation after a modifier: 99214-25/59, 99214-25, 59; modifiers 25 and 59; 25 & XU
TAIL_CONT_RE = re.compile(
    r"[ \t]*(?:,|/|&|\+|and|,[ \t]*and|,?[ \t]*plus)[ \t]*(?:" + MOD_WORD + r"[ \t]*)?-?[ \t]*" + _MOD
)
# trailing "modifier" word after modifiers: 99214-25 modifier, 99214 with 25 mod
TAIL_MODWORD_AFTER_RE = re.compile(r"[ \t]*" + MOD_WORD + r"(?![\w])")

_NUMWORD = r"(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
UNIT_WORD = r"(?:units?|uos|u\.o\.s\.?|u)"
# J1030 x 2 units, 96372 x3, 97110 ×4, 97110 * 2
TAIL_UNITS_X_RE = re.compile(
    r"[ \t]*+[,(]?[ \t]*+(?:(?:billed|bill|at|@)[ \t]++)?(?:[xX×*]|times)[ \t]*+"
    r"(\d{1,3})(?![\d.,/:]\d)(?![\w])"
    r"\)?"
    r"(?:[ \t]*+" + UNIT_WORD + r"(?![\w]))?"
    r"|[ \t]++(\d{1,2})[ \t]*+[xX×](?![\w])"
)
# J1030 2 units, J3301 (4 units), 97110 - 4 units, 97110 for 4 units, 97110, 3 units
TAIL_UNITS_N_RE = re.compile(
    r"[ \t]*+[,(\-–:]?[ \t]*+(?:(?:for|at|billed|billed at|with|of|@|=)[ \t]++)?(?:(?:a|an)[ \t]++)?"
    r"(?:qty|quantity)?[ \t]*+"
    r"(" + _NUMWORD + r")[ \t]*+" + UNIT_WORD + r"(?![\w])\)?",
    re.IGNORECASE,
)
# J3301 units: 4, 97110 qty 3, 97110 (units 2), 97110 UOS=3
# a bare count in parentheses right after the code: "J1885 (2)", "J1200 (1)" (a modifier number such
# as "(25)" is read by TAIL_PAREN_RE first)
TAIL_UNITS_PAREN_RE = re.compile(r"[ \t]*+\([ \t]*+(\d{1,3})[ \t]*+\)")
TAIL_UNITS_LABEL_RE = re.compile(
    r"[ \t]*+[,(\-–;]?[ \t]*+(?:units?|qty|quantity|uos|units of service)[ \t]*+(?:[:=#]|of|is|was)?[ \t]*+"
    r"(" + _NUMWORD + r")(?![\w]|\.\d)\)?",
    re.IGNORECASE,
)

# --- what comes right before a code ---------------------------------------------------------
# 2 units of J3301, 4 units 97110, two units of HCPCS J1100
BEFORE_UNITS_RE = re.compile(
    r"(?<![\w.])(?:(" + _NUMWORD + r")[ \t]+" + UNIT_WORD + r"[ \t]+(?:of[ \t]+)?"
    r"(?:(?:cpt|hcpcs|code)[ \t]+)?(?:#[ \t]*)?"
    r"|(?<![\d(.-]\s)(\d{1,2})[ \t]*[xX×][ \t]+)$",  # "2 units of J3301", "2 x 97110"
    re.IGNORECASE,
)
# "modifier 59 on 20610", "mod 25 to 99214", "a 25 on 99214", "-59 on 20610", "XU on 97140",
# "modifiers 25 and 59 on 99214", "the 25 modifier on 99214", "append RT to 20610"
# (possessive blank runs as in the tail patterns: what follows each cannot start with a blank)
_MODLIST = (
    r"-?[ \t]*+([A-Za-z0-9]{2})"
    r"((?:[ \t]*+(?:,|/|&|and|or|vs\.?|versus|,[ \t]*and|,[ \t]*or)[ \t]*+-?[ \t]*+[A-Za-z0-9]{2})*)"
)
_ONTO = (
    r"[ \t]++(?:" + MOD_WORD + r"[ \t]++)?(?:(?:should|would|must|can|could|will|go|goes|be|belongs?|gets?|"
    r"used|added|appended|applied|placed|attached|reported|is|are|was|needed|required|ok|okay|correct|valid|"
    r"allowed|appropriate|necessary|right)[ \t]++){0,2}"
    r"(?:on|to|onto|for|with|appended to|added to)[ \t]++"
    r"(?:(?:the|code|cpt|hcpcs|procedure|line|item)[ \t]++)*(?:#[ \t]*+)?$"
)
BEFORE_MOD_KEYWORD_RE = re.compile(r"(?<![\w])" + MOD_WORD + r"[ \t:#]*" + _MODLIST + _ONTO, re.IGNORECASE)
BEFORE_MOD_ARTICLE_RE = re.compile(
    r"(?<![\w])(?:a|an|the)[ \t]+" + _MODLIST + r"(?:[ \t]+" + MOD_WORD + r")?" + _ONTO, re.IGNORECASE
)
BEFORE_MOD_HYPHEN_RE = re.compile(r"(?<![\w-])-[ \t]?" + _MODLIST + r"(?:[ \t]+" + MOD_WORD + r")?" + _ONTO)
BEFORE_MOD_SUFFIXWORD_RE = re.compile(r"(?<![\w])" + _MODLIST + r"[ \t]+" + MOD_WORD + _ONTO, re.IGNORECASE)
BEFORE_MOD_BARE_ALPHA_RE = re.compile(r"(?<![\w-])" + _MODLIST + _ONTO)
MODLIST_SPLIT_RE = re.compile(r"[A-Za-z0-9]{2}")

# after a bare numeric "modifier" these words mean it was a quantity, not a modifier
NOT_A_MODIFIER_AFTER_RE = re.compile(
    r"[ \t]*+(?:[-–]?[ \t]*+(?:units?|uos|min|mins|minutes?|mg|mcg|ml|cc|mm|cm|kg|lbs?|%|percent|years?|"
    r"yrs?|yo|"
    r"y/o|days?|hours?|hrs?|weeks?|months?|times|x\b(?![ \t]*\d)|visits?|sessions?|dollars|usd|cents|"
    r"[ap]\.?m\.?\b|o'clock|mins?\b)|[:/.,]\d)",
    re.IGNORECASE,
)

# --- context words ---------------------------------------------------------------------------
POSITIVE_WORDS = (
    r"cpt|hcpcs|hcpc|icd|icd-?10|icd-?10-?cm|icd-?10-?pcs|pcs|dx|dxs|dx's|diag|diagnos[ie]s|diagnosis|code|codes|"
    r"coded|coding|coder|bill|billed|billing|bills|billable|charge|charged|report|reported|reporting|"
    r"modifier|modifiers|mod|mods|units?|ncci|ptp|mue|edit|edits|bundle|bundled|bundles|bundling|"
    r"unbundle|unbundled|unbundling|column|col|payable|pay|paid|deny|denied|denial|denials|reimburse|"
    r"reimbursed|append|appended|e/m|e&m|em|visit|visits|procedure|procedures|proc|injection|injections|"
    r"drug|drugs|supply|supplies|dme|rental|service|services|svc|global|add-on|addon|primary|secondary|"
    r"principal|linked|link|pointer|claim line|line item|level|new patient|established|consult|"
    r"performed|perform|did|done|submitted|submit|submitting|use|used|using|vs|versus|with|and|or|"
    r"instead|replace|replaced|replaces|crosswalk|maps?|mapped|valid|invalid|deleted|terminated|"
    r"sequence|sequenced|assign|assigned|documented|documentation|ordered|administered|admin|given|"
    r"infusion|hydration|therapy|surgery|surgical|repair|exam|screening|test|lab|panel|x-ray|imaging|"
    r"add|adding|added|question|time|minutes|time-based|allowed|covered|coverage|payer|medicare|medicaid|"
    r"commercial|insurance|rvu|rvus|global period|fee schedule"
)
POSITIVE_RE = re.compile(r"(?<![\w])(?:" + POSITIVE_WORDS + r")(?![\w])", re.IGNORECASE)
STRONG_SYSTEM_RE = re.compile(
    r"(?:(?<![\w])(?:cpt|hcpcs|hcpc|code|codes|icd-?10(?:-?cm|-?pcs)?|pcs|dx|dxs|diagnos[ie]s|diag|"
    r"modifier|mod|bill|billed|billing|billing for|report|reported|use|using|coded as|coding|"
    r"procedure code|drug code|supply code|j-?code|e/m|e&m|level)[ \t]*(?:[:#=]|is|was|of|as|for)?"
    r"[ \t]*(?:code[ \t]*)?[:#]?[ \t]*$)",
    re.IGNORECASE,
)
DX_CONTEXT_RE = re.compile(
    r"(?<![\w])(?:dx|dxs|dx's|diag|diagnos[ie]s|diagnosis|icd|icd-?10|icd-?10-?cm|icd10cm|condition|"
    r"primary dx|secondary dx|pointer)(?![\w])",
    re.IGNORECASE,
)
PROC_CONTEXT_RE = re.compile(
    r"(?<![\w])(?:cpt|hcpcs|hcpc|modifier|mod|units?|j-?code|drug|supply|dme|rental|procedure|proc)(?![\w])",
    re.IGNORECASE,
)
PCS_CONTEXT_RE = re.compile(r"(?<![\w])(?:pcs|icd-?10-?pcs|inpatient procedure|root operation)(?![\w])", re.I)
ICD9_WORD_RE = re.compile(r"(?<![\w])icd[ \t-]?9(?:[ \t-]?cm)?(?![\w])")
ICD9_BEFORE_RE = re.compile(r"(?<![\w])icd[ \t-]?9(?:[ \t-]?cm)?(?![\w])[^\n]{0,25}$", re.IGNORECASE)
ICD10_WORD_RE = re.compile(r"(?<![\w])(?:icd[ \t-]?10|dx|diagnosis)(?![\w])", re.IGNORECASE)

# Words that, directly before a number, say it is an identifier and not a code.
_NEG_WORDS = (
    r"claim|claims|icn|dcn|tcn|invoice|account|room|suite|bed|floor|building|apartment|box|member|subscriber|"
    r"policy|group|ticket|case|order|reference|confirmation|tracking|authorization|precert|chart|record|"
    r"batch|eft|era|remit|npi|tin|ein|ptan|tax|ssn|zip|zipcode|zip code|postal|postal code|phone|telephone|"
    r"fax|extension|pager|cell|mobile|version|build|release|revision|firmware|model|serial|part|lot|ndc|"
    r"id|identifier|dob|po|purchase order|voucher|payer id|payor id|plan|contract|license|dea|upin|mbi|hicn|"
    r"amount|balance|total|payment|owed|due|deductible|copay|coinsurance|allowed amount|fee|fees|price|cost|"
    r"usd|page|table|figure|section|chapter|appendix|exhibit|year|fy|cy|route|highway|interstate|flight|gate|"
    r"p\.?[ \t]?o\.?[ \t]?box"
)
_NEG_ABBREVIATIONS = (
    r"clm|inv|acct|rm|ste|fl|bldg|apt|grp|ref|conf|auth|mrn|ph|tel|ext|ver|v|rev|sn|lic|amt|pg|p|pp|fig|sec|"
    r"ch|hwy|nbr|num"
)
# Words that, directly before a number, say it is an identifier and not a code.
NEGATIVE_BEFORE_RE = re.compile(
    r"(?<![\w])(?:"
    r"(?:(?:" + _NEG_WORDS + r")|(?:" + _NEG_ABBREVIATIONS + r")(?![\w])\.?|(?:no|p|pp)\.|\$)"
    r"(?:[ \t]*(?:no\.?|number|num|nbr|id|#|ids?)(?![\w]))?"
    r"|(?:check|cheque|control|line|item|unit|patient|pt|account)[ \t]*(?:no\.?|number|num|nbr|id|#)"
    r")[ \t]*[:#=-]?[ \t]*#?[ \t]*$",
    re.IGNORECASE,
)

STREET_SUFFIX = (
    r"st|street|ave|avenue|av|rd|road|route|rte|blvd|boulevard|dr|drive|ln|lane|way|ct|court|pkwy|parkway|hwy|"
    r"highway|pl|place|cir|circle|ter|terrace|trl|trail|sq|square|loop|pike|row|plaza|plz|crossing|xing|"
    r"run|path|walk|pass|ridge|hills?|park|center|ctr|commons|point|pt|expressway|expy|freeway|fwy|"
    r"turnpike|tpke|alley|aly|bend|cove|cv|creek|crk|glen|grove|gv|harbor|heights|hts|lake|landing|"
    r"meadows?|mill|oaks?|pines|shores?|springs?|station|sta|summit|valley|vly|view|vista|woods?"
)
STREET_AFTER_RE = re.compile(
    r"[ \t]+(?:[NSEW]\.?[ \t]+|North[ \t]+|South[ \t]+|East[ \t]+|West[ \t]+|N[EW]\.?[ \t]+|S[EW]\.?[ \t]+)?"
    r"(?:[A-Z0-9][\w'.-]*[ \t]+){0,3}(?=[A-Z])(?i:" + STREET_SUFFIX + r")\.?(?![\w])"
)
# the number is followed by a word that says it is not a code
NEGATIVE_AFTER_RE = re.compile(
    r"[ \t]*(?:dollars|usd|cents|bucks|miles|mi\b|km\b|feet|ft\b|sq|square|people|patients|members|"
    r"claims|visits|lbs?|kg|mg|ml|mcg|steps|words|characters|rows|records|bytes|kb|mb|gb|"
    r"times|hours|hrs|minutes|mins|seconds|secs|days|weeks|months|years)(?![\w])",
    re.IGNORECASE,
)
US_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "PR",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
]
_STATE_NAMES = (
    r"Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|"
    r"Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|"
    r"Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|"
    r"New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|"
    r"South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|"
    r"Wisconsin|Wyoming|Puerto Rico"
)
ZIP_BEFORE_RE = re.compile(
    r"(?:(?<![\w])(?:" + "|".join(US_STATES) + r")\.?|(?<![\w])(?:" + _STATE_NAMES + r"))[ \t,]*$"
)
MONEY_BEFORE_RE = re.compile(r"\$[ \t]*$|(?<![\w])(?:usd|us\$)[ \t]*$", re.IGNORECASE)

URL_OR_EMAIL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_SIGNATURE_LINE = (
    r"[ \t]*(?:--[ \t]*|__+|—+|(?:thanks|thank you|thx|many thanks|regards|best|best regards|kind regards|"
    r"warm regards|sincerely|cheers|respectfully|take care|v/r|all the best)[ \t]*[,!.]*"
    r"(?:[ \t]+in advance[,!.]*)?"
    r"(?:[ \t]*[-–][ \t]*\w+)?[ \t]*)$"
)
SIGNATURE_START_RE = re.compile(r"^" + _SIGNATURE_LINE, re.IGNORECASE | re.MULTILINE)
# the same sign-off line, found with the newline before it (a literal first character: the engine
# skips from one newline to the next instead of trying every position); the look-ahead names the
# characters a sign-off can start with (IGNORECASE also folds the Kelvin sign and the long s)
SIGNATURE_AFTER_NEWLINE_RE = re.compile(
    r"\n(?=[ \t]*[-_\u2014tmrbkwscvaTMRBKWSCVA\u212a\u017f])" + _SIGNATURE_LINE, re.IGNORECASE | re.MULTILINE
)
SENTENCE_BREAK_RE = re.compile(r"[.?!;](?:[ \t]+|$)|\n[ \t]*\n|\n(?=[ \t]*(?:[-*•·]|\d+[.)])[ \t])")

# what may stand between two codes of one list: 20610, 99214-25 and J3301 / 99202-99205
LIST_SEPARATOR_RE = re.compile(
    r"^(?:[\s,;/&+•*·|()\[\]:\-–—]|and|or|with|plus|vs\.?|versus|then|also|through|thru|to|nor|"
    r"along with|as well as|together with|w/|&amp;)*$",
    re.IGNORECASE,
)
RANGE_SEPARATOR_RE = re.compile(r"^[ \t]*(?:[-–—]|through|thru)[ \t]*$", re.IGNORECASE)

# Date of service
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
DOS_RE = re.compile(
    r"(?<![\w])(?:DOS|D\.O\.S\.?|dates? of service|service date|date of svc|svc date|DOS's)"
    r"[ \t]*(?:was|is|of|on|=|:|-|–)*[ \t]*(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?[ \t]+)?"
    r"(?P<date>\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}|"
    r"(?:" + _MONTHS + r")\.?[ \t]+\d{1,2}(?:st|nd|rd|th)?,?[ \t]+\d{4}|"
    r"\d{1,2}[ \t]+(?:" + _MONTHS + r")\.?,?[ \t]+\d{4})",
    re.IGNORECASE,
)

# a modifier named later in the clause: "99213 go with a 25", "20610 - do I add modifier 59?"
_LATE_MOD_FROM_VERB = (
    r"(?<![\w])(?P<verb>with|w/|add|adding|append|appending|need|needs|needing|missing|use|using|plus|get|gets|"
    r"take|takes|require|requires|carry|carries|have|has|be|or|and)[ \t]+(?:(?P<art>a|an|the)[ \t]+)?"
    r"(?:(?P<kw>" + MOD_WORD + r")[ \t:#]*)?"
    r"-?(?P<mod>[A-Za-z0-9]{2})(?![\w])"
    r"(?P<more>(?:[ \t]*(?:,|/|&|and|or|,[ \t]*or|,[ \t]*and)[ \t]*-?[ \t]*[A-Za-z0-9]{2}(?![\w]))*)"
    r"(?P<kw2>[ \t]+" + MOD_WORD + r"(?![\w]))?"
)
LATE_MOD_RE = re.compile(r"^[^.?!\n]{0,40}?" + _LATE_MOD_FROM_VERB, re.IGNORECASE)
# the same from its verb on, matched where a verb starts: the first verb at which it matches, among
# those within 40 characters and before any . ? ! or line end, gives LATE_MOD_RE's match
LATE_MOD_AT_VERB_RE = re.compile(_LATE_MOD_FROM_VERB, re.IGNORECASE)
# a table whose header names a units column: "CPT   Mod   Units"
TABLE_HEADER_RE = re.compile(
    r"^[ \t|]*(?:cpt|hcpcs|code|codes|cpt/hcpcs|procedure|proc|service)\b[^\n]*"
    r"(?<![\w])(?:units?|qty|quantity|uos)(?![\w])[^\n]*$",
    re.IGNORECASE | re.MULTILINE,
)
# how a TABLE_HEADER_RE line starts, looked for at the text's start and after each newline (a
# literal first character: the engine skips from one newline to the next)
_TABLE_HEADER_HEAD = r"[ \t|]*(?:cpt|hcpcs|code|procedure|proc|service)"
TABLE_HEADER_HEAD_RE = re.compile(_TABLE_HEADER_HEAD, re.IGNORECASE)
TABLE_HEADER_HEAD_AFTER_NEWLINE_RE = re.compile(r"\n" + _TABLE_HEADER_HEAD, re.IGNORECASE)
TABLE_UNITS_TAIL_RE = re.compile(r"[ \t|]+(\d{1,3})[ \t|]*(?=\n|$)")
