"""Finding every code reference in a coder's mail.

Public API:
- `extract(text, store, *, today=None) -> Extraction`: codes in a question text;
- `extract_mail(raw, store, *, today=None) -> Extraction`: codes in a raw mail's question
  (quoted history dropped, forwards kept, a new consult's subject included);
- `parse_date_of_service(text) -> date | None`;
- `scoring.Score` / `scoring.score_one`: precision / recall / F1 against gold.
The contract (`CodeMention`, `Extraction`) is in `consultant.extraction.model`.
"""

from consultant.extraction.extract import extract, extract_mail, parse_date_of_service

__all__ = ["extract", "extract_mail", "parse_date_of_service"]
