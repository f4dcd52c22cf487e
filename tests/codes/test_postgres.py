"""Identical behaviour on PostgreSQL and SQLite: the same files loaded into both, the same answers.

Uses `postgres_module_url` from tests/conftest.py (a fresh database; under CI=true a missing server is
an error, never a skip)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from consultant.codes.errors import LoadError
from consultant.codes.releases import create_schema, ensure_icd10cm, load_file
from consultant.codes.store import SqlCodeStore
from consultant.db.session import make_engine
from tests.codes import helpers as h

pytestmark = pytest.mark.slow

DOS = dt.date(2024, 8, 15)


def _load_all(engine: Engine, work: Path) -> None:
    create_schema(engine)
    load_file(engine, "hcpcs", h.HCPCS_CSV)
    load_file(engine, "pfs", h.PFS_CSV)
    load_file(engine, "mue", h.MUE_PRAC)
    load_file(engine, "mue", h.MUE_EXCERPT)
    load_file(engine, "aoc", h.AOC_CSV)
    load_file(engine, "ptp", work / "ccipra-v302r0_subset.csv.gz")
    load_file(engine, "ptp", h.PTP_EXCERPT)
    load_file(engine, "icd10pcs", h.PCS_CSV)
    load_file(engine, "cpt_descriptors", work / "my_cpt_2024.csv")
    ensure_icd10cm(engine)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("codes-pg")
    h.ptp_subset(d)
    h.cpt_descriptors(d)
    return d


@pytest.fixture(scope="module")
def stores(postgres_module_url: str, work: Path) -> Iterator[dict[str, SqlCodeStore]]:
    pg = make_engine(postgres_module_url)
    lite = make_engine(f"sqlite:///{work / 'codes.sqlite3'}")
    _load_all(pg, work)
    _load_all(lite, work)
    yield {"postgresql": SqlCodeStore(pg), "sqlite": SqlCodeStore(lite)}
    pg.dispose()
    lite.dispose()


def _same(stores: dict[str, SqlCodeStore], fn: str, *args: object, **kw: object) -> object:
    a = getattr(stores["postgresql"], fn)(*args, **kw)
    b = getattr(stores["sqlite"], fn)(*args, **kw)
    assert a == b, (fn, args)
    return a


@pytest.mark.parametrize(
    ("code", "on"),
    [
        ("E0601", DOS), ("G0008", DOS), ("J1030", dt.date(2024, 3, 31)), ("J1030", dt.date(2024, 4, 1)),
        ("47381", DOS), ("11045", DOS), ("99213", DOS), ("76940", DOS), ("M17.11", DOS), ("M17.1", DOS),
        ("K76.89", DOS), ("S72.001A", DOS), ("T36.0X1A", DOS), ("0FT44ZZ", DOS), ("M17.19", DOS),
        ("Z9999", DOS), ("00000", DOS),
    ],
)  # fmt: skip
def test_lookup_identical(stores: dict[str, SqlCodeStore], code: str, on: dt.date) -> None:
    info = _same(stores, "lookup", code, on)
    assert dataclasses.is_dataclass(info)


def test_known_rows_on_postgres(stores: dict[str, SqlCodeStore]) -> None:
    pg = stores["postgresql"]
    assert pg.engine.dialect.name == "postgresql"
    assert pg.lookup("J1030", DOS).status == "terminated"
    assert pg.lookup("47381", DOS).indicators["global_days"] == "090"
    assert pg.lookup("M17.1").billable is False and pg.lookup("M17.11").billable is True
    assert "jaundice NOS (R17)" in pg.lookup("K76.89").notes["excludes1"]
    assert pg.lookup("99213").description == "TEST DESCRIPTOR ONE"
    edits = pg.ptp_edits(["20610", "99213"], DOS)
    assert [(e.column1, e.column2, e.modifier_indicator) for e in edits] == [("20610", "99213", 1)]
    m = pg.mue(["20610"], DOS)["20610"]
    assert (m.value, m.adjudication_indicator) == (2, 3)
    assert [e.primary_code for e in pg.add_on_primaries(["11045"])["11045"]] == ["11042"]
    assert pg.exists("ICD10CM", "M17.1") and pg.exists("CPT", "47381") and pg.exists("HCPCS", "J1030")


def test_ptp_mue_aoc_identical(stores: dict[str, SqlCodeStore]) -> None:
    codes = ["47563", "47562", "43239", "43235", "45385", "45380", "20610", "76942", "99213", "0001U"]
    for on in (DOS, dt.date(2026, 7, 15), dt.date(2019, 6, 1)):
        _same(stores, "ptp_edits", codes, on)
        _same(stores, "mue", [*codes, "0001U", "J3301"], on)
    _same(stores, "ptp_edits", ["0001U", "0029U", "0417U"], dt.date(2026, 7, 15))
    _same(stores, "add_on_primaries", ["11045", "22614", "99292", "99213"])
    _same(stores, "icd10cm_children", "M17")
    _same(stores, "icd10cm_children", "S72.00", billable_only=False)


@pytest.mark.parametrize(
    ("query", "system", "top"),
    [
        ("primary osteoarthritis right knee", None, "M17.11"),
        ("continuous positive airway pressure device", "HCPCS", "E0601"),
        ("gallbladder resection percutaneous endoscopic", "ICD10PCS", "0FT44ZZ"),
        ("zebra", "CPT", "47381"),
    ],
)
def test_search_same_top_hit(
    stores: dict[str, SqlCodeStore], query: str, system: str | None, top: str
) -> None:
    for name, store in stores.items():
        hits = store.search(query, system, 10)
        assert hits and hits[0].code == top, name
    pg_codes = {x.code for x in stores["postgresql"].search(query, system, 10)}
    lite_codes = {x.code for x in stores["sqlite"].search(query, system, 10)}
    assert len(pg_codes & lite_codes) >= min(len(pg_codes), len(lite_codes)) // 2


def test_releases_identical(stores: dict[str, SqlCodeStore]) -> None:
    def key(store: SqlCodeStore) -> list[tuple[object, ...]]:
        return [
            (r.system, r.version, r.effective_date, r.source_file, r.sha256, r.row_count)
            for r in store.releases()
        ]

    assert key(stores["postgresql"]) == key(stores["sqlite"])


def test_failed_load_leaves_nothing_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    engine = make_engine(postgres_url)
    try:
        create_schema(engine)
        whole = h.ptp_subset(tmp_path)
        cut = tmp_path / "ccipra-v302r0_cut.csv.gz"
        cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
        with pytest.raises(LoadError, match="truncated"):
            load_file(engine, "ptp", cut)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM cs_ptp")).scalar_one() == 0
            assert conn.execute(text("SELECT count(*) FROM cs_release")).scalar_one() == 0
        assert not load_file(engine, "ptp", whole).skipped
        assert load_file(engine, "ptp", whole).skipped
    finally:
        engine.dispose()
