"""Real-time settlement (POLICY.md §5–§9, §7a). Where each rule lives:

- `standing.py`  who may be settled, where and when: insured and in the benefit period, the institution's
                 agreement, cross-region and special-disease filings
- `visits.py`    the visit and its life (`VisitStatus`): register, visit information, discharge, cancel, reversal
- `fees.py`      fee lines: checks, the catalogue split (甲/乙/丙, 先行自付, 超限价), returns, deletion
- `settle.py`    pre-settle, settle, cancel, reinstate; accumulators; the settlement's journal entry
- `manual.py`    manual reimbursement (零星报销)
- `estimate.py`  the residents' calculator (待遇测算)
- `repository.py` the only code that writes the hot tables (visits, fee lines, settlements, accumulators)
- `errors.py`    the named errors with their stable codes
- `receipt.py`   the receipt (结算单), HTML and PDF

The policy chain itself is `yibao.policy.chain`; the ledger `yibao.accounts.ledger`; codes and labels
`yibao.glossary`; the doors that call these: `yibao.adapters.gateway` (the national interface, with reversal's
undo records), `yibao.adapters.rest.settlement`, the pages in `yibao.adapters.web`.
"""
