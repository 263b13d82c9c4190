"""yibao — 奉化区城乡居民基本医疗保险管理与实时结算系统.

The management and real-time settlement system for the urban-rural resident basic medical insurance of
Fenghua District, Ningbo. See ../shared/design/ARCHITECTURE.md for the shape of the code.
"""

__version__ = "0.1.0"
