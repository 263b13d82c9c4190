"""Fenghua's 12 towns and streets with their consultation hotlines (S22 §8, POLICY.md §13)."""

from __future__ import annotations

from typing import NamedTuple


class Town(NamedTuple):
    code: str
    name: str
    hotline: str


TOWNS: tuple[Town, ...] = (
    Town("xikou", "溪口镇", "88873985"),
    Town("qiucun", "裘村镇", "88779635"),
    Town("song_ao", "松岙镇", "88796017"),
    Town("dayan", "大堰镇", "88605563"),
    Town("jinping", "锦屏街道", "88501333"),
    Town("yuelin", "岳林街道", "88918617"),
    Town("chunhu", "莼湖街道", "88745280"),
    Town("jiangkou", "江口街道", "88607532"),
    Town("xiwu", "西坞街道", "88535561"),
    Town("shangtian", "尚田街道", "88637921"),
    Town("xiaowangmiao", "萧王庙街道", "88837153"),
    Town("fangqiao", "方桥街道", "88608977"),
)
DISTRICT_CENTRE_HOTLINE = "88689400"  # 区医保中心 (S22 §8)
TOWN_BY_CODE = {town.code: town for town in TOWNS}
SOURCE = "S22 §8"
