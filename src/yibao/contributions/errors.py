"""The contributions' named errors (ARCHITECTURE.md convention 7). Each also has a `summary`: the short reason a
bulk collection counts its refused lines by."""

from __future__ import annotations

from typing import ClassVar

from yibao.errors import Conflict, InvalidInput, Named, NotFound, Refused
from yibao.kit.errors import DomainError


class PaymentRefusal(Named, DomainError):
    """A payment refused by one of its rules (`contributions.service.check_payment`)."""

    summary: ClassVar[str]

    def summarised(self) -> str:
        return self.summary.format(**(self.defaults | self.facts))


class BillNotFound(PaymentRefusal, NotFound):
    code = "bill_not_found"
    default_field = "bill_no"
    template = "没有编号为 {bill_no} 的缴费单"
    summary = "缴费单不存在"


class BillNotPayable(PaymentRefusal, Conflict):
    code = "bill_not_payable"
    default_field = "bill_no"
    template = "缴费单 {bill_no} 状态为“{status}”，不能缴费"
    summary = "缴费单状态为{status}"


class AmountMalformed(PaymentRefusal, InvalidInput):
    code = "amount_malformed"
    default_field = "amount"
    template = "{reason}"
    summary = "金额格式不正确"


class AmountMismatch(PaymentRefusal, InvalidInput):
    code = "amount_mismatch"
    default_field = "amount"
    template = "缴费金额 {amount} 元与应缴 {due} 元不符"
    summary = "金额与应缴不符"


class PaidBeforeRegistration(PaymentRefusal, InvalidInput):
    code = "paid_before_registration"
    default_field = "paid_on"
    template = "缴费日期不能早于参保登记日期"
    summary = "缴费日期早于参保登记日期"


class PaidInTheFuture(PaymentRefusal, InvalidInput):
    code = "paid_in_the_future"
    default_field = "paid_on"
    template = "缴费日期 {paid_on} 晚于今天，请核对"
    summary = "缴费日期晚于今天"


class ReferenceRequired(PaymentRefusal, InvalidInput):
    code = "reference_required"
    default_field = "reference"
    template = "请填写缴费流水号"
    summary = "缺少缴费流水号"


class UnknownChannel(PaymentRefusal, InvalidInput):
    code = "unknown_channel"
    default_field = "channel"
    template = "未知的缴费渠道 {channel!r}，可选：{choices}"
    summary = "渠道不支持"


class CashOutsideEntrustedBank(PaymentRefusal, InvalidInput):
    code = "cash_outside_entrusted_bank"
    default_field = "bank"
    template = "现金缴费须在 8 家委托银行柜面办理：{banks}"
    summary = "现金缴费须在委托银行"


class SchoolChannelRefused(PaymentRefusal, Refused):
    code = "school_channel_refused"
    default_field = "channel"
    template = "只有学校统一办理参保的学生可由学校代收"
    summary = "非学校参保不能由学校代收"


class NoWithholdingAgreement(PaymentRefusal, Refused):
    code = "no_withholding_agreement"
    default_field = "card_no"
    template = "该参保人没有有效的银行卡代扣协议，请先签订协议"
    summary = "无有效代扣协议"


class CardNotInAgreement(PaymentRefusal, Refused):
    code = "card_not_in_agreement"
    default_field = "card_no"
    template = "扣款银行卡与代扣协议不一致：换卡或变更银行须重新签订协议"
    summary = "扣款卡或银行与代扣协议不符"


class ReferenceUsed(PaymentRefusal, Conflict):
    code = "reference_used"
    default_field = "reference"
    template = "缴费流水号 {reference} 已使用，或该缴费单已缴费"
    summary = "缴费流水号重复"
