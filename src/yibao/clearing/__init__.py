"""Institution clearing (清算, S18 §6: "属于医保基金支付的，由定点医院按规定向区医保中心结算"): per institution and
month, a statement of what the funds and the family accounts paid at its counter, less audit's refusals and
recoveries; approved, it is payable in the ledger; paid, it is cleared (service.py)."""
