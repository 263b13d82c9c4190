"""Filings (备案): outpatient special disease, cross-region care, referral (POLICY.md §9)."""
