"""The e-credential's code tables and parameters (POLICY.md §10). The documents give no figures: each number
here is an ASSUMPTION, a parameter the services take, never a constant inside them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from yibao.kit.dates import age_on


@dataclass(frozen=True, slots=True)
class CredentialParameters:
    # ASSUMPTION (POLICY.md §10): a dynamic code is valid for 60 s and decodes once
    code_seconds: int = 60
    # ASSUMPTION (POLICY.md §10): the ecToken of a decode serves that visit at that institution, at most 24 h
    token_hours: int = 24
    # ASSUMPTION: a resident binds at most 5 relatives (亲情账户; the guide gives no number)
    max_bindings: int = 5
    # ASSUMPTION: "家中老人" is 60 or older (the elderly of 《老年人权益保障法》 §2)
    elder_age: int = 60
    # 《民法典》 §17: under 18 is a minor
    adult_age: int = 18
    # ASSUMPTION: a channel's signed activation is accepted within 5 minutes of its timestamp, either way
    activation_skew_seconds: int = 300
    # ASSUMPTION: the resident page asks for a new code this many seconds before the shown one expires
    refresh_margin_seconds: int = 10

    @property
    def code_validity(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.code_seconds)

    @property
    def token_validity(self) -> dt.timedelta:
        return dt.timedelta(hours=self.token_hours)


PARAMETERS = CredentialParameters()

# The activation channels of the guide (POLICY.md §10): code → name. Each is registered as a partner with its
# own SM2 key (`yibao credential channel add`); "demo" is yibao's own demonstration channel.
GUIDE_CHANNELS: dict[str, str] = {
    "nhsa": "国家医保服务平台 App",
    "zlb": "浙里办",
    "alipay": "支付宝",
    "wechat": "微信",
    "abc": "中国农业银行",
    "icbc": "中国工商银行",
    "ccb": "中国建设银行",
    "boc": "中国银行",
    "psbc": "中国邮政储蓄银行",
    "fhrcb": "奉化农商银行丰收互联",
}
DEMO_CHANNEL = "demo"
DEMO_CHANNEL_NAME = "yibao 演示渠道（人脸核验为确认步骤，仅供演示）"


class Kin(StrEnum):
    """Whom a binding may be for: a minor, or an elderly relative (POLICY.md §10: 绑定家中老人或儿童)."""

    MINOR = "minor"
    ELDER = "elder"


# Family relationships (GB/T 4761 家庭关系代码, the codes the binding may name) → label and whom they fit.
RELATIONSHIPS: dict[str, tuple[str, frozenset[Kin]]] = {
    "10": ("配偶", frozenset({Kin.ELDER})),
    "20": ("子", frozenset({Kin.MINOR})),
    "30": ("女", frozenset({Kin.MINOR})),
    "40": ("孙子女/外孙子女", frozenset({Kin.MINOR})),
    "50": ("父母", frozenset({Kin.ELDER})),
    "60": ("祖父母/外祖父母", frozenset({Kin.ELDER})),
    "97": ("其他亲属", frozenset({Kin.MINOR, Kin.ELDER})),
}

# How a binding was proved: by the household register, a birth certificate seen at the window, the relative's
# own confirmation, or the relative in person at the window.
PROOF_LABELS = {"household": "同一户籍", "birth": "出生医学证明（窗口核验）", "consent": "本人确认",
                "window": "窗口本人到场确认"}

# The national business types of a decode (电子凭证业务类型, the codes the counters send).
BUSINESS_TYPES: dict[str, str] = {
    "01101": "挂号",
    "01102": "住院建档",
    "01103": "入院登记",
    "01201": "就诊",
    "01301": "结算",
    "01302": "预结算",
    "02121": "药店购药",
    "02122": "药店结算",
    "01501": "住院结算",
}

CREDENTIAL_STATUS_LABELS = {"active": "正常", "suspended": "已暂停", "revoked": "已注销", "replaced": "已更换设备"}
BINDING_STATUS_LABELS = {"pending": "待亲属确认", "active": "已绑定", "removed": "已解绑"}


def kin_on(birth_date: dt.date, day: dt.date, params: CredentialParameters) -> Kin | None:
    """Whether someone born on `birth_date` is a minor or elderly on `day` (None: neither)."""
    years = age_on(birth_date, day)
    if years < params.adult_age:
        return Kin.MINOR
    if years >= params.elder_age:
        return Kin.ELDER
    return None
