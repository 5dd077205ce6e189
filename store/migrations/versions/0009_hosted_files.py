"""hosted files (photos and files served to Zalo by URL)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hosted_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=127), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hosted_files')),
    sa.UniqueConstraint('token', name=op.f('uq_hosted_files_token'))
    )
    with op.batch_alter_table('hosted_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hosted_files_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_hosted_files_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hosted_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hosted_files_expires_at'))
        batch_op.drop_index(batch_op.f('ix_hosted_files_sha256'))

    op.drop_table('hosted_files')
