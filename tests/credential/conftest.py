from tests.gateway.conftest import his  # noqa: F401  (the institutions' HIS, signed in by 9001)
