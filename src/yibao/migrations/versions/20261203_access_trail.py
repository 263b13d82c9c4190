"""The access trail (access/trail.py): append-only records chained with SM3, and the chain's head.

UPDATE and DELETE on the trail are refused by triggers on both databases (issue 19 item 7).

Revision ID: 04aa7bda74e5
Revises: 71bda7f329b9
Create Date: 2026-12-03 06:08:26.580143
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '04aa7bda74e5'
down_revision = '71bda7f329b9'
branch_labels = None
depends_on = None

GENESIS = "0" * 64  # access/trail.py: the hash before the first record


def upgrade() -> None:
    op.create_table('access_trail',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_kind', sa.String(length=12), nullable=False),
    sa.Column('actor', sa.String(length=60), nullable=False),
    sa.Column('door', sa.String(length=12), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('subject', sa.String(length=20), nullable=True),
    sa.Column('what', sa.String(length=200), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_access_trail'))
    )
    with op.batch_alter_table('access_trail', schema=None) as batch_op:
        batch_op.create_index('ix_access_trail_subject', ['subject', 'seq'], unique=False)

    op.create_table('access_trail_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_trail_head'))
    )
    op.execute(f"INSERT INTO access_trail_head (id, seq, hash) VALUES (1, 0, '{GENESIS}')")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""CREATE FUNCTION access_trail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'access_trail is append-only'; END $$""")
        op.execute("""CREATE TRIGGER access_trail_append_only BEFORE UPDATE OR DELETE ON access_trail
            FOR EACH ROW EXECUTE FUNCTION access_trail_append_only()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER access_trail_no_{verb.lower()} BEFORE {verb} ON access_trail
                BEGIN SELECT RAISE(ABORT, 'access_trail is append-only'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER access_trail_append_only ON access_trail")
        op.execute("DROP FUNCTION access_trail_append_only()")
    op.drop_table('access_trail_head')
    with op.batch_alter_table('access_trail', schema=None) as batch_op:
        batch_op.drop_index('ix_access_trail_subject')

    op.drop_table('access_trail')
