"""delivery outcomes: outbox status wide enough for "cancelled"/"sending"/"partial", the
reason a message failed, when it was first tried; broadcasts confirmed outside hours

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column(
            'status',
            existing_type=sa.String(length=8),
            type_=sa.String(length=16),
            existing_nullable=False,
        )
        batch_op.add_column(sa.Column('first_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.String(length=16), nullable=True))

    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('outside_hours', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_column('outside_hours')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('reason')
        batch_op.drop_column('first_attempt_at')
        batch_op.alter_column(
            'status',
            existing_type=sa.String(length=16),
            type_=sa.String(length=8),
            existing_nullable=False,
        )
