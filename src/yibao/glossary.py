"""The glossary (POLICY.md §15): the national interface's codes and the one Chinese label of each, used alike by
receipts, pages, the CLI and the gateway. A code or a label is spelled here and nowhere else.

Pure data: it imports only the policy core's enums, so the calculator can use it without the database stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from yibao.policy.chain import ITEM_CLASS_LABELS as POLICY_ITEM_CLASS_LABELS
from yibao.policy.editions import Benefit

INSUTYPE = "390"  # 城乡居民基本医疗保险 (INTERFACE.md insutype)


class MedType(StrEnum):
    """医疗类别 med_type (INTERFACE.md code tables)."""

    OUTPATIENT = "11"
    REGISTRATION = "12"
    EMERGENCY = "13"
    SPECIAL_DISEASE = "14"
    INPATIENT = "21"
    PHARMACY = "41"
    MATERNITY_OUTPATIENT = "51"  # 生育门诊: residents are paid a fixed subsidy instead (POLICY.md §8)
    MATERNITY_INPATIENT = "52"  # 生育住院: likewise


MED_TYPE_LABELS: MappingProxyType[str, str] = MappingProxyType({
    MedType.OUTPATIENT: "普通门诊",
    MedType.REGISTRATION: "门诊挂号",
    MedType.EMERGENCY: "急诊",
    MedType.SPECIAL_DISEASE: "门诊特殊病种",
    MedType.INPATIENT: "普通住院",
    MedType.PHARMACY: "定点药店购药",
    MedType.MATERNITY_OUTPATIENT: "生育门诊",
    MedType.MATERNITY_INPATIENT: "生育住院",
})
MATERNITY_MED_TYPES = (MedType.MATERNITY_OUTPATIENT.value, MedType.MATERNITY_INPATIENT.value)

# med_type → the benefit the policy chain pays (POLICY.md §7a codes)
BENEFIT_OF_MED_TYPE: MappingProxyType[str, Benefit] = MappingProxyType({
    MedType.OUTPATIENT: Benefit.OUTPATIENT,
    MedType.REGISTRATION: Benefit.OUTPATIENT,
    MedType.EMERGENCY: Benefit.OUTPATIENT,
    MedType.PHARMACY: Benefit.OUTPATIENT,
    MedType.SPECIAL_DISEASE: Benefit.SPECIAL_DISEASE,
    MedType.INPATIENT: Benefit.INPATIENT,
})

# a manual reimbursement (零星报销) is recorded under the plain med_type of its benefit
MED_TYPE_OF_BENEFIT: MappingProxyType[Benefit, MedType] = MappingProxyType({
    Benefit.OUTPATIENT: MedType.OUTPATIENT,
    Benefit.SPECIAL_DISEASE: MedType.SPECIAL_DISEASE,
    Benefit.INPATIENT: MedType.INPATIENT,
})


@dataclass(frozen=True, slots=True)
class Fund:
    """A fund that pays part of a settlement: its fund_pay_type, the amount field it pays, its labels, and the
    trace stages that compute it."""

    code: str
    amount_field: str
    label: str  # short: in tables and the ledger
    name: str  # the interface's fund_pay_type_name
    stages: tuple[str, ...]

    @property
    def account(self) -> str:
        """The fund's account in the ledger."""
        return f"fund:{self.code}"


FUNDS = (
    Fund("390100", "hifp_pay", "统筹基金", "城乡居民基本医疗保险基金", ("basic_fund",)),
    Fund("390200", "hifmi_pay", "大病保险", "城乡居民大病保险资金", ("serious_illness",)),
    Fund("610100", "maf_pay", "医疗救助", "医疗救助基金", ("assistance_ordinary", "assistance_relief")),
)

# a settlement's amounts (setlinfo's money fields), in the order receipts and tables show them
AMOUNT_LABELS: MappingProxyType[str, str] = MappingProxyType({
    "medfee_sumamt": "医疗费总额",
    "fulamt_ownpay_amt": "全自费（丙类）",
    "overlmt_selfpay": "超限价自费",
    "preselfpay_amt": "乙类先行自付",
    "inscp_scp_amt": "政策范围内费用",
    "act_pay_dedc": "起付线（个人负担）",
    "hifp_pay": "统筹基金支付",
    "hifmi_pay": "大病保险支付",
    "maf_pay": "医疗救助支付",
    "fund_pay_sumamt": "基金支付合计",
    "psn_part_amt": "个人负担合计",
    "acct_pay": "个人账户支付",
    "acct_mulaid_pay": "共济账户支付",
    "psn_cash_pay": "其中现金支付",
})

# the person's annual accumulators (5206 cum_type_code → cum_type_name)
ACCUMULATOR_LABELS: MappingProxyType[str, str] = MappingProxyType({
    "outpatient": "普通门诊政策范围内费用累计",
    "inpatient": "住院政策范围内费用累计",
    "special_disease": "门诊特病政策范围内费用累计",
    "serious_illness_burden": "大病保险个人负担累计",
    "assistance_selfpay": "医疗救助后个人自付累计",
})

# 甲/乙/丙 → chrgitm_lv
ITEM_CLASS_LABELS: MappingProxyType[str, str] = MappingProxyType(
    {item_class.value: label for item_class, label in POLICY_ITEM_CLASS_LABELS.items()})
CHRGITM_LV: MappingProxyType[str, str] = MappingProxyType({"A": "01", "B": "02", "C": "03"})
# 目录类别 (list_type) of a catalogue category: 101 西药中成药, 201 医疗服务项目, 301 医用耗材
LIST_TYPES: MappingProxyType[str, str] = MappingProxyType({"drug": "101", "service": "201", "material": "301"})
# the national dictionary LIST_TYPE (目录类别): what 3301's list_type and 1316/1317 name
LIST_TYPE_LABELS: MappingProxyType[str, str] = MappingProxyType({
    "101": "西药中成药", "102": "中药饮片", "103": "医疗机构制剂", "104": "民族药", "201": "医疗服务项目",
    "301": "医用耗材"})

# 就诊凭证类型 mdtrt_cert_type
E_CREDENTIAL = "01"  # mdtrt_cert_type of the medical-insurance e-credential (its ecToken as mdtrt_cert_no)
ID_CARD = "02"  # the ID number as mdtrt_cert_no
SS_CARD = "03"  # the social-security card's number as mdtrt_cert_no (card_sn its chip identifier)
CERT_TYPE_LABELS: MappingProxyType[str, str] = MappingProxyType({
    "01": "医保电子凭证",
    "02": "居民身份证",
    "03": "社会保障卡",
})

# what kind of settlement record a row is
SETTLEMENT_KIND_LABELS: MappingProxyType[str, str] = MappingProxyType({
    "settle": "医保结算",
    "cancel": "结算撤销（冲减）",
    "manual": "零星报销",
})


# med_chrgitm_type (医疗收费项目类别) of a catalogue code, where the catalogue itself gives none. ASSUMPTION: read off
# the national code's form — drugs X… 西药, Z… 中成药, T… 中药饮片; materials C…; services by the chapter of their
# number (0011 01–02 诊察, 0011 03–04 床位, 0023–0026 化验, 0027 检查, 0031–0033 手术, 0012 护理; else 治疗/其他).
CHARGE_ITEM_TYPES: MappingProxyType[str, str] = MappingProxyType({
    "01": "床位费", "02": "诊察费", "03": "检查费", "04": "化验费", "05": "治疗费", "06": "手术费", "07": "护理费",
    "08": "卫生材料费", "09": "西药费", "10": "中药饮片费", "11": "中成药费", "12": "一般诊疗费", "13": "挂号费",
    "14": "其他费",
})
_SERVICE_CHAPTERS = (("001101", "02"), ("001102", "02"), ("001103", "01"), ("001104", "01"), ("0012", "07"),
                     ("0023", "04"), ("0024", "04"), ("0025", "04"), ("0026", "04"), ("0027", "03"), ("0031", "06"),
                     ("0032", "06"), ("0033", "06"), ("00", "05"))
_PREFIX_TYPES = {"X": "09", "Z": "11", "T": "10", "C": "08"}


def charge_item_type(code: str) -> str:
    if code[:1] in _PREFIX_TYPES:
        return _PREFIX_TYPES[code[:1]]
    return next((kind for prefix, kind in _SERVICE_CHAPTERS if code.startswith(prefix)), "14")


# The source documents by the titles residents know (POLICY.md cites them as S18 and S22): receipts and the Q&A.
SOURCE_DOCUMENTS = (("S18 跨省十问", "《跨省异地就医住院费用直接结算十问》", "问"),
                    ("S22 电子凭证指南", "《医保电子凭证使用指南》", "部分"),
                    ("S18", "《奉化区城乡居民医疗保险服务指南》", "部分"),
                    ("S22", "《奉化区2022年度城乡居民基本医疗保险政策问答》", "问"))


def source_words(code: str) -> str:
    """"S18 跨省十问 3、4" → "《跨省异地就医住院费用直接结算十问》第3、4问"; "S18 §2" → "《…服务指南》第2部分"."""
    for prefix, title, unit in SOURCE_DOCUMENTS:
        if code.startswith(prefix):
            part = code[len(prefix):].strip().removeprefix("§").strip()
            return f"{title}第{part}{unit}" if part else title
    return code
