"""Reading mail: parsing, classification, threading tokens. Pure functions over bytes.

Public API (import from the modules; `classify` and `dry_run` are also module names):
    parse.parse_mail(raw: bytes) -> ParsedMail
    quotes.extract_question(text: str, subject: str = "") -> str
    classify.classify(parsed, *, own_addresses, allowed_senders, max_bytes) -> Classification
    classify.is_oversized(parsed, max_bytes) -> bool
    classify.sender_allowed(addr, allowed_senders) -> bool
    threading.case_token(subject) -> int | None
    threading.strip_reply_prefixes(subject) -> str
    threading.reply_subject(original, case_id) -> str
    dry_run.dry_run(raw, filename, *, own_addresses, allowed_senders, max_bytes, code_finder, store) -> dict
"""
