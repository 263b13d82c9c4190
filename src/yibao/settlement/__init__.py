"""Real-time settlement: visits, fee lines, pre-settlement, settlement, cancellation, reversal, ledger."""
