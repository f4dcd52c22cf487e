"""`caseconsultant check CODE[-MOD...][xUNITS] ... [--date D] [--setting S] --json`: the findings."""

from __future__ import annotations

import datetime as dt
import re

import typer

from consultant.cli.output import fail, print_json
from consultant.codes.model import CodeStore, Setting
from consultant.extraction.model import CodeMention

_UNITS = re.compile(r"^(?P<head>[A-Za-z0-9.]+?)\s*[xX×*](?P<units>\d{1,4})$")
_MOD = re.compile(r"^[A-Za-z0-9]{2}$")
SETTINGS = ("practitioner", "hospital", "dme")


class ArgError(ValueError):
    pass


def parse_code_arg(token: str) -> tuple[str, list[str], int | None]:
    """'99214-25' -> ('99214', ['25'], None); 'J3301x4'; '20610-RT-59'; '20610-59x2'; 'M17.11'."""
    token = token.strip()
    if not token:
        raise ArgError("empty code")
    code, *mods = token.split("-")
    units: int | None = None
    last = mods[-1] if mods else code
    m = _UNITS.match(last)
    # units only after a modifier or a 5-character CPT/HCPCS code (ICD codes such as T36.0X1 hold an X)
    if m and "." not in m.group("head") and len(m.group("head")) == (2 if mods else 5):
        units = int(m.group("units"))
        if mods:
            mods[-1] = m.group("head")
        else:
            code = m.group("head")
    mods = [x.upper() for x in mods if x]
    for x in mods:
        if not _MOD.match(x):
            raise ArgError(f"{token!r}: modifier {x!r} is not two letters or digits")
    if not re.fullmatch(r"[A-Za-z0-9.]{3,8}", code):
        raise ArgError(f"{token!r} does not look like a code")
    return code, mods, units


def mentions_from_args(tokens: list[str], store: CodeStore, on: dt.date | None) -> list[CodeMention]:
    merged: dict[tuple[str, str], CodeMention] = {}
    for token in tokens:
        code, mods, units = parse_code_arg(token)
        info = store.lookup(code, on=on)
        key = (info.system, info.code)
        m = merged.get(key)
        if m is None:
            merged[key] = CodeMention(
                system=info.system,
                code=info.code,
                modifiers=mods,
                units=units,
                status=info.status,
                billable=info.billable,
            )
        else:
            m.modifiers += [x for x in mods if x not in m.modifiers]
            if units is not None:
                m.units = (m.units or 0) + units
    return list(merged.values())


def _open_store() -> CodeStore:
    from consultant.codes.store import open_store
    from consultant.db.session import get_engine

    return open_store(get_engine())


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""

    @app.command("check")
    def check_command(
        codes: list[str] = typer.Argument(
            ..., help="codes such as 99214-25 20610 J3301x4 20610-RT-59 M17.11"
        ),
        date: str | None = typer.Option(None, "--date", help="date of service (YYYY-MM-DD)"),
        setting: str = typer.Option("practitioner", "--setting", help="practitioner | hospital | dme"),
        as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    ) -> None:
        """Run every check (NCCI PTP, MUE, add-on, Excludes1, 7th character...) on the codes given."""
        from consultant.drafting.analyze import check_codes, code_info_json

        on: dt.date | None = None
        if date:
            try:
                on = dt.date.fromisoformat(date)
            except ValueError:
                fail(f"--date must be YYYY-MM-DD, not {date!r}")
        if setting not in SETTINGS:
            fail(f"--setting must be one of {', '.join(SETTINGS)}, not {setting!r}")
        try:
            store = _open_store()
        except Exception as exc:
            fail(f"the code store is not available ({type(exc).__name__}); run `caseconsultant init`")
            return
        try:
            mentions = mentions_from_args(codes, store, on)
        except ArgError as exc:
            fail(str(exc))
            return
        chosen: Setting = setting  # type: ignore[assignment]
        infos, findings = check_codes(mentions, store, date_of_service=on, setting=chosen)
        if as_json:
            print_json(
                {
                    "findings": [f.to_json() for f in findings],
                    "codes": [{**m.to_json(), "info": code_info_json(infos[m.code])} for m in mentions],
                    "date_of_service": on.isoformat() if on else None,
                    "setting": setting,
                }
            )
            return
        for m in mentions:
            mods = "".join(f"-{x}" for x in m.modifiers)
            units = f" x{m.units}" if m.units else ""
            typer.echo(f"{m.system:9} {m.code}{mods}{units}  [{infos[m.code].status}]")
        if not findings:
            typer.echo("no findings")
        for f in findings:
            typer.echo(f"\n{f.severity.upper():7} {f.rule}: {f.message}")
            if f.source:
                typer.echo(f"        source: {f.source.file} ({f.source.release})")
