"""Editions as cited data (POLICY.md §1 and preamble): loading validates, and refuses naming the key."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

import pytest
import yaml

from yibao.policy.editions import Editions, load_editions, parse_edition
from yibao.policy.errors import EditionInvalid, NoEditionInForce

EDITIONS = resources.files("yibao.policy") / "editions"


def _text(code: str = "2022") -> str:
    return (EDITIONS / f"{code}.yaml").read_text(encoding="utf-8")


def _mutated(change: str, code: str = "2022") -> str:
    """The edition's YAML after one edit, given as `path=value` (value as YAML)."""
    data = yaml.safe_load(_text(code))
    path, _, value = change.partition("=")
    node = data
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in keys[:-1]:
        node = node[key]
    if value == "<delete>":
        del node[keys[-1]]
    else:
        node[keys[-1]] = yaml.safe_load(value)
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.mark.parametrize(("change", "names"), [
    ("categories.adult.personal_contribution.source=<delete>", "categories.adult.personal_contribution.source"),
    ("categories.adult.personal_contribution.source=''", "categories.adult.personal_contribution.source"),
    ("first_selfpay_default.source=<delete>", "first_selfpay_default.source"),
    ("columns.adult.inpatient.0.source=<delete>", "columns.adult.inpatient[0].source"),
])
def test_a_value_without_a_source_is_refused(change: str, names: str) -> None:
    with pytest.raises(EditionInvalid) as caught:
        parse_edition(_mutated(change), "2022.yaml")
    assert names in str(caught.value)


def test_a_gap_between_bands_is_refused() -> None:
    with pytest.raises(EditionInvalid, match=r"columns\.adult\.inpatient.*有空缺"):
        parse_edition(_mutated("columns.adult.inpatient.1.lower='45000'"))


def test_overlapping_bands_are_refused() -> None:
    with pytest.raises(EditionInvalid, match=r"serious_illness\.bands.*有重叠"):
        parse_edition(_mutated("serious_illness.bands.2.lower='40000'"))


def test_bands_must_start_at_zero() -> None:
    with pytest.raises(EditionInvalid, match="从 0 开始"):
        parse_edition(_mutated("columns.children.outpatient.0.lower='100'"))


@pytest.mark.parametrize("rate", ["'1.2'", "'-0.1'"])
def test_a_rate_outside_0_1_is_refused(rate: str) -> None:
    with pytest.raises(EditionInvalid, match=r"columns\.adult\.special_disease\[0\]\.rates.*0 到 1"):
        parse_edition(_mutated(f"columns.adult.special_disease.0.rate={rate}"))


def test_a_missing_level_rate_is_refused() -> None:
    with pytest.raises(EditionInvalid, match="community"):
        parse_edition(_mutated("columns.adult.outpatient.0.rates={tertiary: '0.3', other: '0.45'}"))


def test_float_values_are_refused() -> None:
    with pytest.raises(EditionInvalid, match="带引号"):
        parse_edition(_mutated("first_selfpay_default.value=0.1"))


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(EditionInvalid, match=r"categories\.adult\.colour.*未知的键"):
        parse_edition(_mutated("categories.adult.colour=red"))


def test_a_category_pointing_at_a_missing_column_is_refused() -> None:
    with pytest.raises(EditionInvalid, match=r"categories\.adult\.column"):
        parse_edition(_mutated("categories.adult.column=elderly"))


def test_malformed_yaml_is_refused() -> None:
    with pytest.raises(EditionInvalid, match="YAML"):
        parse_edition("code: [unclosed", "bad.yaml")


def test_every_packaged_value_is_cited(editions: Editions) -> None:
    """Walk both editions: every `source` is a seed section or an ASSUMPTION."""
    def walk(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [node["source"]] if "source" in node else []
            return found + [s for value in node.values() for s in walk(value)]
        if isinstance(node, list):
            return [s for value in node for s in walk(value)]
        return []

    for code in ("2018", "2022"):
        sources = walk(yaml.safe_load(_text(code)))
        assert len(sources) > 40
        for source in sources:
            assert source.startswith(("S22", "S18", "ASSUMPTION")) or "ASSUMPTION" in source, source


@pytest.mark.parametrize(("day", "code"), [
    ("2018-01-01", "2018"), ("2019-07-01", "2018"), ("2021-12-31", "2018"), ("2022-01-01", "2022"),
    ("2026-11-22", "2022"),
])
def test_edition_in_force_by_date(editions: Editions, day: str, code: str) -> None:
    """POLICY.md §1 ASSUMPTION: an edition stays in force until the next one starts."""
    assert editions.on(dt.date.fromisoformat(day)).code == code


def test_no_edition_before_2018(editions: Editions) -> None:
    with pytest.raises(NoEditionInForce, match="2017-12-31"):
        editions.on(dt.date(2017, 12, 31))


def test_an_administrator_adds_a_new_year_as_a_yaml_file(tmp_path: Path) -> None:
    (tmp_path / "2022.yaml").write_text(_text(), encoding="utf-8")
    data = yaml.safe_load(_text())
    data["code"], data["effective_from"] = "2024", dt.date(2024, 1, 1)
    data["categories"]["adult"]["personal_contribution"] = {"value": "800", "source": "ASSUMPTION: test year"}
    (tmp_path / "2024.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    loaded = load_editions(tmp_path)
    assert loaded.on(dt.date(2023, 6, 1)).code == "2022"
    assert str(loaded.on(dt.date(2024, 1, 1)).categories["adult"].personal_contribution.value) == "800"
