"""The ledger: every yuan in a balanced journal (ARCHITECTURE.md convention 5)."""
