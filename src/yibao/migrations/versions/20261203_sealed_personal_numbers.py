"""Personal numbers sealed at rest (issue 19 item 6, kit/sealing.py): ID, phone, card, bank-card, payer, proxy and
certificate numbers, the visit's certificate number and the gateway's stored answers widened for SM4 ciphertext and sealed; the digests that
find ID, phone and card numbers added (persons.certno_digest unique, phone_digest, ss_cards.card_digest in the
key in place of the card number).

The values already there are sealed here with the data directory's current key (made now if there is none).

Revision ID: 6e66af151fca
Revises: 04aa7bda74e5
Create Date: 2026-12-03 06:24:54.503939
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yibao.db import SealedColumns, reseal

revision = '6e66af151fca'
down_revision = '04aa7bda74e5'
branch_labels = None
depends_on = None


def stored(length: int) -> int:
    """db.Sealed's column width for `length` characters of plain text."""
    return 24 + (28 + 4 * length + 2) // 3 * 4


# table, key, sealed column → (purpose, plain length, nullable), digests
SEALED: list[tuple[str, tuple[str, ...], dict[str, tuple[str, int | None, bool]], dict[str, str]]] = [
    ("bank_agreements", ("psn_no", "id"), {"card_no": ("bank_card", 30, False)}, {}),
    ("certificates", ("psn_no", "id"), {"cert_no": ("cert_no", 50, False)}, {}),
    ("ec_bindings", ("psn_no", "id"), {"proof_no": ("proof_no", 50, True)}, {}),
    ("enrollments", ("psn_no", "id"), {"proxy_certno": ("proxy_certno", 18, True)}, {}),
    ("payments", ("psn_no", "id"), {"payer_certno": ("payer_certno", 18, True)}, {}),
    ("persons", ("psn_no",), {"certno": ("certno", 18, False), "phone": ("phone", 20, True)},
     {"certno": "certno_digest", "phone": "phone_digest"}),
    ("ss_cards", ("psn_no", "card_no"), {"card_no": ("card_no", 20, False)}, {"card_no": "card_digest"}),
    ("visits", ("psn_no", "mdtrt_id"), {"mdtrt_cert_no": ("mdtrt_cert_no", 64, True)}, {}),
    ("gateway_messages", ("msgid",), {"response": ("gateway_response", None, True)}, {}),  # Text: no widening
]


def upgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.add_column(sa.Column("certno_digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("phone_digest", sa.String(64), nullable=True))
        batch.drop_constraint("uq_persons_certno", type_="unique")
    with op.batch_alter_table("ss_cards") as batch:
        batch.add_column(sa.Column("card_digest", sa.String(64), nullable=True))
        batch.drop_index("uq_ss_cards_number")
    for table, _key, columns, _digests in SEALED:
        with op.batch_alter_table(table) as batch:
            for name, (_purpose, length, nullable) in columns.items():
                if length is None:
                    continue
                batch.alter_column(name, existing_type=sa.String(length), type_=sa.String(stored(length)),
                                   existing_nullable=nullable)

    connection = op.get_bind()
    for table, key, columns, digests in SEALED:
        reseal(connection, SealedColumns(table, key, {name: spec[0] for name, spec in columns.items()}, digests))

    with op.batch_alter_table("persons") as batch:
        batch.alter_column("certno_digest", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_persons_certno_digest", ["certno_digest"])
        batch.create_index("ix_persons_phone_digest", ["phone_digest"], unique=False)
    with op.batch_alter_table("ss_cards", recreate="always") as batch:
        batch.alter_column("card_digest", existing_type=sa.String(64), nullable=False)
        batch.drop_constraint("pk_ss_cards", type_="primary")
        batch.create_primary_key("pk_ss_cards", ["psn_no", "card_digest"])
        batch.create_index("uq_ss_cards_number", ["card_digest"], unique=True)


def downgrade() -> None:
    raise NotImplementedError("sealed numbers are not unsealed by a downgrade: restore the backup taken before")
