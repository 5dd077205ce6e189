"""task reschedule, person's Zalo OA id

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rescheduled_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zalo_oa_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_people_zalo_oa_id'), ['zalo_oa_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_zalo_oa_id'))
        batch_op.drop_column('zalo_oa_id')

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('rescheduled_at')
