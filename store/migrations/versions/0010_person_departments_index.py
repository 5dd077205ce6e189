"""index person_departments by department (a ward of 100,000 people: removing a department
or finding its people must not read every membership)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 12:00:00.000000
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person_departments', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_person_departments_department_id'), ['department_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('person_departments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_departments_department_id'))
