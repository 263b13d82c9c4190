from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.gateway.his import HIS
from yibao.demo import ensure_demo_institutions

COMMUNITY = "H33021300003"  # 锦屏街道社区卫生服务中心
PEOPLES = "H33021300001"  # 奉化区人民医院 (三乙)
FIRST = "H33020000001"  # 宁波市第一医院 (三甲)
ZHEJIANG = "H33010000001"  # 浙大一院 (elsewhere in Zhejiang)
HUASHAN = "H31000000001"  # 华山医院 (another province, cross-province designated)


@pytest.fixture
def his(client: TestClient, session: Session) -> Callable[[str], HIS]:
    ensure_demo_institutions(session)
    session.commit()
    return lambda code: HIS(client, code)
