"""The family accounts' named errors (ARCHITECTURE.md convention 7): each a stable code, the field it is about and
its Chinese message saying what to do (POLICY.md §11)."""

from __future__ import annotations

from yibao.errors import Conflict, Forbidden, InvalidInput, Named, NotFound, Refused

# --- networks and members


class InitiatorNotEmployeeInsured(Named, Refused):
    code = "initiator_not_employee_insured"
    default_field = "psn_no"
    template = "{name} 不是职工医保参保人员，不能发起家庭共济网（须由有历年个账余额的职工医保参保人发起）"


class InitiatorWithoutBalance(Named, Refused):
    code = "initiator_without_balance"
    default_field = "psn_no"
    template = "{name} 的职工医保历年个账没有余额，不能发起家庭共济网"


class AlreadyInNetwork(Named, Conflict):
    code = "already_in_network"
    default_field = "psn_no"
    template = "{name} 已在一个家庭共济网中（发起人 {initiator}），一人只能加入一个家庭共济网，请先退出原共济网"


class NotFamily(Named, InvalidInput):
    code = "not_family"
    default_field = "relationship"
    template = "家庭共济网只能添加发起人的父母、配偶、子女：关系请选 父母(parent)、配偶(spouse)、子女(child)"


class RelationshipUnproven(Named, Refused):
    code = "relationship_unproven"
    default_field = "proof"
    template = "{name} 与发起人不在同一户籍：请出示户口簿、结婚证或出生医学证明，并填写证明材料编号"


class RelationshipImplausible(Named, Refused):
    code = "relationship_implausible"
    default_field = "relationship"
    template = "{name} 的出生日期与“{relationship}”关系不符，请核对关系或证件"


class SecondSpouse(Named, Conflict):
    code = "second_spouse"
    default_field = "relationship"
    template = "家庭共济网中已有配偶 {name}"


class NetworkNotFound(Named, NotFound):
    code = "network_not_found"
    default_field = "network_id"
    template = "没有家庭共济网 {network_id}"


class NetworkDissolved(Named, Refused):
    code = "network_dissolved"
    default_field = "network_id"
    template = "家庭共济网 {network_id} 已于 {day} 解散"


class NotInNetwork(Named, NotFound):
    code = "not_in_network"
    default_field = "psn_no"
    template = "{name} 不在家庭共济网中"


class NotInitiator(Named, Forbidden):
    code = "not_initiator"
    default_field = "by_psn_no"
    template = "只有家庭共济网的发起人 {initiator} 可以{action}"


class InitiatorCannotLeave(Named, Refused):
    code = "initiator_cannot_leave"
    default_field = "psn_no"
    template = "发起人不能退出自己发起的家庭共济网；如不再共济，请解散共济网（各共济账户余额退回本人历年个账）"


class OrderInvalid(Named, InvalidInput):
    code = "order_invalid"
    default_field = "order"
    template = "使用顺序须列出共济网的每位成员各一次，发起人排第一：{problem}"


# --- accounts and transfers


class NoHistoricalAccount(Named, Refused):
    code = "no_historical_account"
    default_field = "psn_no"
    template = "{name} 没有职工医保历年个账，不能开设共济健康账户（未开设的成员可使用其他成员的共济账户）"


class MutualAccountOpen(Named, Conflict):
    code = "mutual_account_open"
    default_field = "psn_no"
    template = "{name} 已开设共济健康账户"


class NoMutualAccount(Named, NotFound):
    code = "no_mutual_account"
    default_field = "psn_no"
    template = "{name} 没有开设共济健康账户"


class AmountInvalid(Named, InvalidInput):
    code = "amount_invalid"
    default_field = "amount"
    template = "划转金额{problem}：请填写大于 0、最多两位小数的金额（元）"


class BalanceInsufficient(Named, Refused):
    code = "balance_insufficient"
    default_field = "amount"
    template = "{account}余额 {balance} 元，不足 {amount} 元"


# --- the employee-insurance system's daily files


class HistoricalFileDayRepeated(Named, Conflict):
    code = "historical_file_day_repeated"
    default_field = "day"
    template = "{day} 的历年个账日报已由文件 {file_id} 导入，同一天不能再导入另一份文件"


class HistoricalFileDaySkipped(Named, Refused):
    code = "historical_file_day_skipped"
    default_field = "day"
    template = "历年个账日报须逐日导入：上一份是 {last}，应导入 {expected} 的文件，而不是 {day}"


class HistoricalFileLine(Named, InvalidInput):
    code = "historical_file_line"
    default_field = "file"
    template = "第 {line} 行：{problem}；整个文件未导入，请改正后重新导入"
