"""The policy core: rules as code. PURE — no I/O beyond reading its own packaged editions, no DB, no clock.

Imports only `yibao.kit` (enforced by import-linter).
"""
