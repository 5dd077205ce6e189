"""outbox: how many sends of a row had an unknown outcome and were tried again (each may
have reached the chat twice)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 16:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('unsure_sends', sa.Integer(), nullable=False, server_default='0')
        )


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('unsure_sends')
