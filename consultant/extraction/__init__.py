"""Finding every code reference in a coder's mail.

Public API:
- `extract(text, store, *, today=None) -> Extraction`: codes in a question text;
- `extract_mail(raw, store, *, today=None) -> Extraction`: codes in a raw mail's question
  (quoted history dropped, forwards kept, a new consult's subject included);
- `parse_date_of_service(text) -> date | None`;
- `scoring.Score` / `scoring.score_one`: precision / recall / F1 against gold.
The contract (`CodeMention`, `Extraction`) is in `consultant.extraction.model`.

The rule modules run compiled by mypyc when a build matching their sources is present
(`consultant.extraction.native`), as plain Python otherwise: the same results either way.
"""

from consultant.extraction import native

native.activate(__path__)

from consultant.extraction.extract import extract, extract_mail, parse_date_of_service  # noqa: E402

__all__ = ["extract", "extract_mail", "parse_date_of_service"]
