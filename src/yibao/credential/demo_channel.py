"""yibao's demonstration channel: what a partner app does, done by yibao itself for the demo and the resident
page. Its "face check" is a confirmation step the resident clicks — clearly labelled as a demo; a real centre
turns it off (YIBAO_EC_DEMO_CHANNEL=false) and residents activate through the guide's channels.

Its SM2 key pair lives in the data directory (`ecard-demo-channel.json`, mode 0600); the channel is registered
with the public half like any partner, and its activations pass the same signature check."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from yibao.credential.channels import TIME_FORMAT, sign_activation
from yibao.credential.models import Channel, CredentialRecord
from yibao.credential.rules import DEMO_CHANNEL, DEMO_CHANNEL_NAME, CredentialParameters
from yibao.credential.service import activate, register_channel
from yibao.kit.clock import now
from yibao.kit.files import private_text
from yibao.kit.gm import KeyPair, generate_keypair

KEY_FILE = "ecard-demo-channel.json"


def demo_key(data_dir: Path) -> KeyPair:
    pair = generate_keypair()
    made = json.dumps({"private": pair.private, "public": pair.public})
    stored = json.loads(private_text(data_dir / KEY_FILE, made))  # another process's pair stands
    return KeyPair(stored["private"], stored["public"])


def ensure_demo_channel(session: Session, data_dir: Path) -> KeyPair:
    """The demo channel registered with the key in the data directory; its key pair."""
    pair = demo_key(data_dir)
    channel = session.get(Channel, DEMO_CHANNEL)
    if channel is None or channel.public_key != pair.public or channel.status != "active":
        register_channel(session, code=DEMO_CHANNEL, name=DEMO_CHANNEL_NAME, public_key=pair.public, demo=True)
    return pair


def demo_activation(pair: KeyPair, *, certno: str, name: str, moment: dt.datetime,
                    device_id: str = "demo-browser") -> dict[str, Any]:
    """The signed message the demo channel sends once the resident confirmed the (demo) face check."""
    return sign_activation(pair, {"channel": DEMO_CHANNEL, "request_id": f"demo-{secrets.token_hex(12)}",
                                  "timestamp": moment.strftime(TIME_FORMAT), "certno": certno, "name": name,
                                  "face_verified": True, "device_id": device_id})


def activate_on_demo_channel(session: Session, data_dir: Path, params: CredentialParameters, *, certno: str,
                             name: str, activated_by: str | None = None) -> CredentialRecord:
    """Activate a person's credential as the demo channel would, through the same signed activation."""
    message = demo_activation(ensure_demo_channel(session, data_dir), certno=certno, name=name, moment=now())
    return activate(session, params, message, activated_by=activated_by)
