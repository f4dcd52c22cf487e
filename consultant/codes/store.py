"""SqlCodeStore: the CodeStore over SQL (SQLite or PostgreSQL), fast when warm.

Release choice: for each table (system), releases with the same version form one group (a CMS
release split over several part files); the group used for a date of service is the newest one
whose effective date is on or before that date; dates before the oldest group are answered from
the oldest group. Caches: an LRU of lookups, one frozenset of codes per system for `exists`, the
release groups (re-read when the release table changes; checked at most every few seconds).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.exc import DBAPIError

from consultant.codes import releases as rel_mod
from consultant.codes.model import (
    AddOnEdit,
    CodeInfo,
    MueLimit,
    PtpEdit,
    Release,
    ReleaseRef,
    Setting,
    Status,
    System,
)
from consultant.codes.normalize import (
    CPT_RE,
    HCPCS_RE,
    candidate_systems,
    clean,
    icd10cm_with_dot,
    normalize,
)
from consultant.codes.search import SearchHit
from consultant.codes.search import search as _search

CPT_LICENCE_NOTE = (
    "CPT descriptor requires an AMA licence; "
    "load your own file with caseconsultant codes load --cpt-descriptors"
)
PFS_DELETED = {"D", "H"}
SETTING_SYSTEM = {"practitioner": "PRACTITIONER", "hospital": "HOSPITAL", "dme": "DME"}
REFRESH_SECONDS = 5.0
LOOKUP_CACHE = 20_000
EDIT_CACHE = 20_000  # PTP / MUE / add-on / ICD-10-CM children answers, per process
READ_CONNECTIONS = 2


@dataclass(frozen=True)
class _Group:
    system: str
    version: str
    effective_date: dt.date | None
    release_ids: tuple[int, ...]
    ref: ReleaseRef

    @property
    def eff(self) -> dt.date:
        return self.effective_date or dt.date.min


def _json(value: str | None) -> Any:
    return json.loads(value) if value else {}


class SqlCodeStore:
    """Implements consultant.codes.model.CodeStore. Thread-safe for reads."""

    def __init__(self, engine: Engine, auto_icd10cm: bool = True) -> None:
        rel_mod.ensure_schema(engine)
        self.engine = engine
        self.auto_icd10cm = auto_icd10cm
        self._lock = threading.RLock()
        self._conn_lock = threading.Lock()
        self._idle: list[Connection] = []
        self._open = 0
        self._conn_pid = os.getpid()
        self._inherited: list[Connection] = []
        self._groups: dict[str, list[_Group]] = {}
        self._fingerprint: tuple[int, int] | None = None
        self._next_check = 0.0
        self._sets: dict[str, frozenset[str]] = {}
        self._icd_checked = False
        self._lookup_cached = functools.lru_cache(maxsize=LOOKUP_CACHE)(self._lookup_uncached)
        # answers of the edit tables, keyed by their normalized arguments; immutable values (tuples,
        # frozen dataclasses) so a caller cannot change a cached answer; cleared with the releases
        self._ptp_cached = functools.lru_cache(maxsize=EDIT_CACHE)(self._ptp_uncached)
        self._mue_cached = functools.lru_cache(maxsize=EDIT_CACHE)(self._mue_uncached)
        self._aoc_cached = functools.lru_cache(maxsize=EDIT_CACHE)(self._aoc_uncached)
        self._children_cached = functools.lru_cache(maxsize=EDIT_CACHE)(self._children_uncached)
        self._refresh(force=True)

    # ---------------------------------------------------------------- connections
    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        """A kept-open AUTOCOMMIT connection for reads: no pool checkout, pre-ping or BEGIN/ROLLBACK
        round trips on the hot path (a PTP + MUE claim check is two queries). At most
        READ_CONNECTIONS are kept per process, shared by all threads (a web server's thread pool
        must not pin one pooled connection per thread); beyond that a short pooled connection is
        used. A broken connection is dropped; after a fork the child opens its own."""
        conn: Connection | None = None
        create = False
        with self._conn_lock:
            if self._conn_pid != os.getpid():
                # the parent's connections: never use or close them here (that would end the
                # parent's session on the shared socket); keep them referenced, not collected
                self._inherited.extend(self._idle)
                self._idle, self._open, self._conn_pid = [], 0, os.getpid()
            if self._idle:
                conn = self._idle.pop()
            elif self._open < READ_CONNECTIONS:
                self._open += 1
                create = True
        if create:
            try:
                conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            except BaseException:
                with self._conn_lock:
                    self._open -= 1
                raise
        if conn is None:  # all kept connections busy: a short pooled one
            with self.engine.connect() as short:
                yield short
            return
        ok = False
        try:
            yield conn
            ok = True
        except DBAPIError:
            raise
        except BaseException:
            ok = not conn.invalidated
            raise
        finally:
            if ok and not conn.closed and not conn.invalidated:
                with self._conn_lock:
                    if self._conn_pid == os.getpid():
                        self._idle.append(conn)
            else:
                with contextlib.suppress(Exception):
                    conn.close()
                with self._conn_lock:
                    self._open -= 1

    def close(self) -> None:
        """Close the kept read connections (tests, shutdown)."""
        with self._conn_lock:
            idle, self._idle = self._idle, []
            self._open -= len(idle)
        for conn in idle:
            with contextlib.suppress(Exception):
                conn.close()

    # ---------------------------------------------------------------- releases and caches
    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now < self._next_check:
            return
        with self._lock:
            self._next_check = now + REFRESH_SECONDS
            fp = rel_mod.release_fingerprint(self.engine)
            if fp == self._fingerprint:
                return
            groups: dict[str, dict[tuple[str, dt.date | None], list[Release]]] = {}
            for r in rel_mod.list_releases(self.engine):
                groups.setdefault(r.system, {}).setdefault((r.version, r.effective_date), []).append(r)
            out: dict[str, list[_Group]] = {}
            for system, by_version in groups.items():
                lst = []
                for (version, eff), rels in by_version.items():
                    rels.sort(key=lambda r: r.id)
                    names = ", ".join(r.source_file for r in rels)
                    lst.append(
                        _Group(
                            system,
                            version,
                            eff,
                            tuple(r.id for r in rels),
                            ReleaseRef(system, version, names, eff),
                        )
                    )
                lst.sort(key=lambda g: (g.eff, g.release_ids[-1]))
                out[system] = lst
            self._groups = out
            self._fingerprint = fp
            self._sets = {}
            self._lookup_cached.cache_clear()
            self._ptp_cached.cache_clear()
            self._mue_cached.cache_clear()
            self._aoc_cached.cache_clear()
            self._children_cached.cache_clear()

    def refresh(self) -> None:
        """Forget every cache now (after a load in this process)."""
        self._refresh(force=True)

    def _ensure_icd10cm(self) -> None:
        if self._icd_checked or not self.auto_icd10cm:
            return
        with self._lock:
            if self._icd_checked:
                return
            self._icd_checked = True
            if "ICD10CM" not in self._groups:
                rel_mod.ensure_icd10cm(self.engine)
                self._refresh(force=True)

    def _group(self, system: str, on: dt.date) -> _Group | None:
        lst = self._groups.get(system)
        if not lst:
            return None
        chosen = lst[0]
        for g in lst:
            if g.eff <= on:
                chosen = g
            else:
                break
        return chosen

    def _all_groups(self, system: str) -> list[_Group]:
        return self._groups.get(system, [])

    def _codes_of(self, system: str) -> frozenset[str]:
        got = self._sets.get(system)
        if got is not None:
            return got
        with self._lock, self._read() as conn:
            if system in ("ICD10CM", "ICD10PCS"):
                rows = conn.execute(
                    text("SELECT DISTINCT code FROM cs_code WHERE system = :s"), {"s": system}
                ).scalars()
                codes = set(rows)
            else:
                pfs_codes = set(conn.execute(text("SELECT DISTINCT code FROM cs_pfs")).scalars())
                own = set(
                    conn.execute(
                        text("SELECT DISTINCT code FROM cs_code WHERE system = :s"), {"s": system}
                    ).scalars()
                )
                pattern = CPT_RE if system == "CPT" else HCPCS_RE
                codes = own | {c for c in pfs_codes if pattern.match(c)}
            got = frozenset(codes)
            self._sets[system] = got
            return got

    # ---------------------------------------------------------------- CodeStore
    def exists(self, system: System, code: str) -> bool:
        if self._sets.get(system) is None:
            self._refresh()
            if system == "ICD10CM":
                self._ensure_icd10cm()
        return normalize(code, system) in self._codes_of(system)

    def lookup(self, code: str, on: dt.date | None = None, system: System | None = None) -> CodeInfo:
        if time.monotonic() >= self._next_check:
            self._refresh()
        return cast(CodeInfo, self._lookup_cached(code, on or dt.date.today(), system))

    def _guess(self, c: str) -> tuple[System, bool]:
        """(system, known) for a code without a system."""
        cands = candidate_systems(c)
        for s in cands:
            if s == "ICD10CM":
                self._ensure_icd10cm()
            if normalize(c, s) in self._codes_of(s):
                return cast(System, s), True
        if cands:
            return cast(System, cands[0]), False
        return cast(System, "ICD10CM" if c[:1].isalpha() else "CPT"), False

    def _lookup_uncached(self, code: str, on: dt.date, system: System | None) -> CodeInfo:
        c = clean(code)
        if system is None:
            system, _known = self._guess(c)
        elif system == "ICD10CM":
            self._ensure_icd10cm()
        norm = normalize(c, system)
        if system == "CPT":
            return self._lookup_cpt(norm, on)
        return self._lookup_coded(system, norm, on)

    def _find_code(
        self, system: str, code: str, on: dt.date, release_system: str | None = None
    ) -> tuple[Any, _Group | None, str]:
        """(row, group, where): where = 'current' | 'later' | 'earlier' | 'none'."""
        rsys = release_system or system
        current = self._group(rsys, on)
        sql = text(
            "SELECT code, description, short_description, billable, effective_date, termination_date, "
            "indicators, notes, release_id FROM cs_code "
            "WHERE system = :s AND code = :c AND release_id IN :ids ORDER BY release_id DESC LIMIT 1"
        ).bindparams(bindparam("ids", expanding=True))
        with self._read() as conn:
            if current is not None:
                row = conn.execute(sql, {"s": system, "c": code, "ids": list(current.release_ids)}).first()
                if row is not None:
                    return row, current, "current"
            for g in reversed(self._all_groups(rsys)):
                if g is current:
                    continue
                row = conn.execute(sql, {"s": system, "c": code, "ids": list(g.release_ids)}).first()
                if row is not None:
                    return row, g, ("later" if current is None or g.eff > current.eff else "earlier")
        return None, current, "none"

    def _pfs(self, code: str, on: dt.date) -> tuple[dict[str, str], _Group | None, str | None]:
        g = self._group("PFS", on)
        if g is None:
            return {}, None, None
        sql = text(
            "SELECT modifier, status, indicators FROM cs_pfs WHERE code = :c AND release_id IN :ids "
            "ORDER BY release_id DESC"
        ).bindparams(bindparam("ids", expanding=True))
        with self._read() as conn:
            rows = conn.execute(sql, {"c": code, "ids": list(g.release_ids)}).all()
        if not rows:
            return {}, g, None
        base = next((r for r in rows if not r[0]), rows[0])
        ind = dict(_json(base[2]))
        mods = sorted({r[0] for r in rows if r[0]})
        if mods:
            ind["pfs_modifiers"] = ",".join(mods)
        return ind, g, base[1]

    def _lookup_cpt(self, code: str, on: dt.date) -> CodeInfo:
        ind, g, pfs_status = self._pfs(code, on)
        desc_row, _dg, _where = self._find_code("CPT", code, on, "CPT_DESCRIPTORS")
        description = desc_row[1] if desc_row is not None else None
        note = None if description else CPT_LICENCE_NOTE
        if pfs_status is None and desc_row is None:
            status: Status = "invalid"
            note = "not found in the loaded PFS release or CPT descriptor file"
            if code not in self._codes_of("CPT"):
                return CodeInfo(system="CPT", code=code, status="invalid", description_note=note)
        elif pfs_status in PFS_DELETED:
            status = "terminated"
        else:
            status = "active"
        return CodeInfo(
            system="CPT",
            code=code,
            status=status,
            description=description,
            description_note=note,
            indicators=ind,
            release=g.ref if g is not None else None,
        )

    def _lookup_coded(self, system: System, code: str, on: dt.date) -> CodeInfo:
        row, g, where = self._find_code(system, code, on)
        if row is None and system == "HCPCS":
            pfs_ind, pg, pfs_status = self._pfs(code, on)
            if pfs_status is not None and pg is not None:  # in the PFS file only
                return CodeInfo(
                    system="HCPCS",
                    code=code,
                    status="terminated" if pfs_status in PFS_DELETED else "active",
                    description_note="not in the loaded HCPCS file; CMS indicators from the PFS file",
                    indicators=pfs_ind,
                    release=pg.ref,
                )
        if row is None:
            return CodeInfo(
                system=system,
                code=code,
                status="invalid",
                description_note=f"not a {system} code in the loaded releases",
                release=g.ref if g is not None else None,
            )
        eff = row[4]
        term = row[5]
        if isinstance(eff, str):
            eff = dt.date.fromisoformat(eff)
        if isinstance(term, str):
            term = dt.date.fromisoformat(term)
        status: Status = "active"
        if where == "later":
            status = "not_yet_effective"
            eff = eff or (g.effective_date if g else None)
        elif eff is not None and eff > on:
            status = "not_yet_effective"
        elif term is not None and term < on:
            status = "terminated"
        elif where == "earlier":
            status = "terminated"  # dropped from the release in force on that date
        indicators = dict(_json(row[6]))
        if system == "HCPCS":
            pfs_ind, _pg, _st = self._pfs(code, on)
            for k, v in pfs_ind.items():
                indicators.setdefault(k, v)
        notes = _json(row[7])
        return CodeInfo(
            system=system,
            code=row[0],
            status=status,
            description=row[1],
            short_description=row[2],
            billable=None if row[3] is None else bool(row[3]),
            effective_date=eff,
            termination_date=term,
            indicators=indicators,
            notes=notes,
            release=g.ref if g is not None else None,
        )

    def modifier_description(self, modifier: str, on: dt.date | None = None) -> str | None:
        """HCPCS Level II modifier text (RECID 7 rows), or None when unknown."""
        self._refresh()
        g = self._group("HCPCS", on or dt.date.today())
        if g is None:
            return None
        sql = text(
            "SELECT description FROM cs_hcpcs_modifier WHERE modifier = :m AND release_id IN :ids "
            "ORDER BY release_id DESC LIMIT 1"
        ).bindparams(bindparam("ids", expanding=True))
        with self._read() as conn:
            return conn.execute(sql, {"m": clean(modifier), "ids": list(g.release_ids)}).scalar()

    def ptp_edits(
        self, codes: Sequence[str], on: dt.date | None = None, setting: Setting = "practitioner"
    ) -> list[PtpEdit]:
        self._refresh()
        on = on or dt.date.today()
        cs = tuple(sorted({clean(c) for c in codes if c}))
        if len(cs) < 2:
            return []
        return list(self._ptp_cached(cs, on, setting))

    def _ptp_uncached(self, cs: tuple[str, ...], on: dt.date, setting: Setting) -> tuple[PtpEdit, ...]:
        g = self._group("NCCI_PTP_" + SETTING_SYSTEM[setting], on)
        if g is None:
            return ()
        d = on.year * 10000 + on.month * 100 + on.day
        sql = text(
            "SELECT column1, column2, effective_ymd, deletion_ymd, modifier_indicator, rationale "
            "FROM cs_ptp WHERE release_id IN :ids AND column1 IN :cs AND column2 IN :cs "
            "AND (effective_ymd IS NULL OR effective_ymd <= :d) "
            "AND (deletion_ymd IS NULL OR deletion_ymd >= :d)"
        ).bindparams(bindparam("ids", expanding=True), bindparam("cs", expanding=True))
        with self._read() as conn:
            rows = conn.execute(sql, {"ids": list(g.release_ids), "cs": list(cs), "d": d}).all()
        best: dict[tuple[str, str], Any] = {}
        for r in rows:
            key = (r[0], r[1])
            prev = best.get(key)
            if prev is None or (prev[3] is not None and (r[3] is None or r[3] > prev[3])):
                best[key] = r
        out = []
        for (c1, c2), r in sorted(best.items()):
            out.append(
                PtpEdit(
                    column1=c1,
                    column2=c2,
                    modifier_indicator=int(r[4]),
                    effective_date=_ymd(r[2]),
                    deletion_date=_ymd(r[3]),
                    rationale=r[5],
                    setting=setting,
                    release=g.ref,
                )
            )
        return tuple(out)

    def mue(
        self, codes: Iterable[str], on: dt.date | None = None, setting: Setting = "practitioner"
    ) -> dict[str, MueLimit]:
        self._refresh()
        cs = tuple(sorted({clean(c) for c in codes if c}))
        if not cs:
            return {}
        return dict(self._mue_cached(cs, on or dt.date.today(), setting))

    def _mue_uncached(
        self, cs: tuple[str, ...], on: dt.date, setting: Setting
    ) -> tuple[tuple[str, MueLimit], ...]:
        g = self._group("NCCI_MUE_" + SETTING_SYSTEM[setting], on)
        if g is None:
            return ()
        sql = text(
            "SELECT code, value, adjudication_indicator, adjudication_text, rationale, release_id "
            "FROM cs_mue WHERE release_id IN :ids AND code IN :cs ORDER BY release_id"
        ).bindparams(bindparam("ids", expanding=True), bindparam("cs", expanding=True))
        with self._read() as conn:
            rows = conn.execute(sql, {"ids": list(g.release_ids), "cs": list(cs)}).all()
        out = {
            r[0]: MueLimit(
                code=r[0],
                value=int(r[1]),
                adjudication_indicator=int(r[2]),
                adjudication_text=r[3],
                rationale=r[4],
                setting=setting,
                release=g.ref,
            )
            for r in rows
        }
        return tuple(out.items())

    def add_on_primaries(
        self, add_on_codes: Iterable[str], on: dt.date | None = None
    ) -> dict[str, list[AddOnEdit]]:
        self._refresh()
        on = on or dt.date.today()
        cs = tuple(sorted({clean(c) for c in add_on_codes if c}))
        if not cs:
            return {}
        return {k: list(v) for k, v in self._aoc_cached(cs, on)}

    def _aoc_uncached(
        self, cs: tuple[str, ...], on: dt.date
    ) -> tuple[tuple[str, tuple[AddOnEdit, ...]], ...]:
        g = self._group("NCCI_AOC", on)
        if g is None:
            return ()
        sql = text(
            "SELECT add_on_code, primary_code, edit_type, effective_date, deletion_date FROM cs_aoc "
            "WHERE release_id IN :ids AND add_on_code IN :cs ORDER BY add_on_code, primary_code"
        ).bindparams(bindparam("ids", expanding=True), bindparam("cs", expanding=True))
        with self._read() as conn:
            rows = conn.execute(sql, {"ids": list(g.release_ids), "cs": list(cs)}).all()
        out: dict[str, list[AddOnEdit]] = {}
        for r in rows:
            eff, dele = _date(r[3]), _date(r[4])
            if (eff is not None and eff > on) or (dele is not None and dele < on):
                continue
            lst = out.setdefault(r[0], [])
            if all(e.primary_code != r[1] for e in lst):
                lst.append(AddOnEdit(add_on_code=r[0], primary_code=r[1], edit_type=int(r[2]), release=g.ref))
        return tuple((k, tuple(v)) for k, v in out.items())

    def icd10cm_children(self, code: str, billable_only: bool = True) -> list[str]:
        self._refresh()
        self._ensure_icd10cm()
        c = icd10cm_with_dot(code)
        return list(self._children_cached(c, dt.date.today(), billable_only))

    def _children_uncached(self, c: str, on: dt.date, billable_only: bool) -> tuple[str, ...]:
        g = self._group("ICD10CM", on)
        if g is None or not c:
            return ()
        # a prefix range (code > 'M17.1' AND code < 'M17.2') uses the (system, code) index; LIKE
        # does not on PostgreSQL without a text_pattern_ops index
        sql = text(
            "SELECT DISTINCT code FROM cs_code WHERE system = 'ICD10CM' AND release_id IN :ids "
            "AND code > :c AND code < :hi"
            + (" AND billable = :t" if billable_only else "")
            + " ORDER BY code"
        ).bindparams(bindparam("ids", expanding=True))
        params: dict[str, Any] = {"ids": list(g.release_ids), "c": c, "hi": _prefix_upper(c)}
        if billable_only:
            params["t"] = True
        with self._read() as conn:
            return tuple(r for r in conn.execute(sql, params).scalars() if r.startswith(c))

    def releases(self) -> list[Release]:
        return rel_mod.list_releases(self.engine)

    def search(self, query: str, system: str | None = None, limit: int = 20) -> list[SearchHit]:
        if system in (None, "ICD10CM"):
            self._ensure_icd10cm()
        return _search(self.engine, query, system, limit)


def _prefix_upper(prefix: str) -> str:
    """The smallest string above every string starting with `prefix` ('M17.1' -> 'M17.2')."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _ymd(v: int | None) -> dt.date | None:
    if v is None:
        return None
    v = int(v)
    return dt.date(v // 10000, v // 100 % 100, v % 100)


def _date(v: Any) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


@functools.lru_cache(maxsize=8)
def _store_for(engine: Engine) -> SqlCodeStore:
    return SqlCodeStore(engine)


def open_store(engine: Engine, shared: bool = True) -> SqlCodeStore:
    """The code store over `engine`: one shared instance per engine (caches stay warm), or a new
    one with shared=False. A database without the code store tables is migrated first (Alembic)."""
    rel_mod.ensure_schema(engine)
    if shared:
        return _store_for(engine)
    return SqlCodeStore(engine)
