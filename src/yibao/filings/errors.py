"""The filings' named errors (ARCHITECTURE.md convention 7)."""

from __future__ import annotations

from yibao.errors import InvalidInput, Named


class DiseaseNotInList(Named, InvalidInput):
    """A special-disease filing names a disease of the national 门慢门特 list (POLICY.md §5; S18 §4: "门诊特殊病种
    治疗项目同城镇职工基本医疗保险" — the list is the national one, imported by `yibao national-list import 1309`)."""

    code = "disease_not_in_list"
    default_field = "disease_code"
    template = "病种代码 {code} 不在门诊慢特病种目录中（或已失效）：请从目录中选择病种（目录 {count} 个病种）"


class DiseaseNameMismatch(Named, InvalidInput):
    code = "disease_name_mismatch"
    default_field = "disease_name"
    template = "病种 {code} 在目录中的名称是“{listed}”，不是“{given}”：请核对病种代码"
