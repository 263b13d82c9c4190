"""Fund audit (医保稽查, POLICY.md §12): rules as data (rules.yaml) with their detectors (detect.py), batch scans
and findings, cases decided by a second person, and sanctions that settlement and clearing enforce (sanctions.py)."""
