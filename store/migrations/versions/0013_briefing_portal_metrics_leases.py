"""briefing and portal settings, sub-criterion figures, the province list, portal runs, leases

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 18:01:03.663169
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('leases',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_leases'))
    )
    op.create_table('province_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.String(length=32), nullable=False),
    sa.Column('unit_level', sa.String(length=16), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('total', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_province_rows')),
    sa.UniqueConstraint('province_id', 'unit_level', 'period_kind', 'year', 'period', 'unit_id', name=op.f('uq_province_rows_province_id'))
    )
    with op.batch_alter_table('province_rows', schema=None) as batch_op:
        batch_op.create_index('ix_province_rows_list', ['province_id', 'unit_level', 'period_kind', 'year', 'period'], unique=False)

    op.create_table('metric_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('group_code', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('numerator', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('denominator', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_metric_figures_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metric_figures')),
    sa.UniqueConstraint('ward_id', 'period_kind', 'year', 'period', 'as_of', 'code', name=op.f('uq_metric_figures_ward_id'))
    )
    with op.batch_alter_table('metric_figures', schema=None) as batch_op:
        batch_op.create_index('ix_metric_figures_period', ['ward_id', 'period_kind', 'year', 'period'], unique=False)

    op.create_table('portal_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.String(length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=True),
    sa.Column('detail', sa.String(length=1000), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_portal_runs_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_runs'))
    )
    with op.batch_alter_table('portal_runs', schema=None) as batch_op:
        batch_op.create_index('ix_portal_runs_ward', ['ward_id', 'started_at'], unique=False)

    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('briefing', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('portal', sa.JSON(), nullable=False, server_default='{}'))



def downgrade() -> None:
    with op.batch_alter_table('wards', schema=None) as batch_op:
        batch_op.drop_column('portal')
        batch_op.drop_column('briefing')

    with op.batch_alter_table('portal_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_portal_runs_ward')

    op.drop_table('portal_runs')
    with op.batch_alter_table('metric_figures', schema=None) as batch_op:
        batch_op.drop_index('ix_metric_figures_period')

    op.drop_table('metric_figures')
    with op.batch_alter_table('province_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_province_rows_list')

    op.drop_table('province_rows')
    op.drop_table('leases')
