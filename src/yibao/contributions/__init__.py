"""Contributions (缴费): bills, payments by the documented channels, refunds, reconciliation (S22 §3)."""
