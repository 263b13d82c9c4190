"""Enrollment (参保登记) for a policy year: category, contribution, benefit period."""
