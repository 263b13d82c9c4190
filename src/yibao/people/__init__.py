"""People (参保人): identity, household, certificates, employee-insurance status."""
