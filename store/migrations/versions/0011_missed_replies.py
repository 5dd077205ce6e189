"""missed replies: a reply that could not be sent, told to its person with the next one

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('missed_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_missed_replies'))
    )
    with op.batch_alter_table('missed_replies', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_missed_replies_channel'), ['channel', 'chat_id', 'user_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('missed_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_missed_replies_channel'))

    op.drop_table('missed_replies')
