"""Domain-free helpers: money, dates, the error base."""
