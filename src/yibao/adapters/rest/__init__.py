"""The REST door (FastAPI routers, one module per domain) and what every router needs (`deps`: the request's
unit of work and declared permissions). A router parses, calls one service function, returns."""
