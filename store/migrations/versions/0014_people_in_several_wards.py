"""people in several wards: channel ids unique per ward, not globally; the ward a person in
several wards chose for their private chats

A person in several wards (a province officer, a vendor's administrator) is one `people` row
per ward, with the same Telegram / Zalo / OA id. The global unique indexes on those ids
become unique indexes on (id, ward_id) — id first, so a lookup by id alone still uses them.
Only indexes change (no table is rebuilt, on SQLite either): every existing row already
satisfies the weaker rule, so no data is rewritten.

Downgrade puts the global indexes back; it refuses (and changes nothing) while an id is
shared by several wards, since that cannot be written in the old schema without dropping
people.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

IDS = (
    ('telegram_id', 'ix_people_telegram_id', 'ix_people_telegram_ward'),
    ('zalo_id', 'ix_people_zalo_id', 'ix_people_zalo_ward'),
    ('zalo_oa_id', 'ix_people_zalo_oa_id', 'ix_people_zalo_oa_ward'),
)


def upgrade() -> None:
    op.create_table('ward_choices',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_ward_choices_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('channel', 'user_id', name=op.f('pk_ward_choices'))
    )
    op.create_index(op.f('ix_ward_choices_ward_id'), 'ward_choices', ['ward_id'], unique=False)
    # plain CREATE/DROP INDEX on both backends: no batch rebuild of `people` (on SQLite a
    # rebuild drops the table, and with foreign keys on that would cascade to memberships)
    for column, old, new in IDS:
        op.drop_index(old, table_name='people')
        op.create_index(new, 'people', [column, 'ward_id'], unique=True)


def downgrade() -> None:
    bind = op.get_bind()
    for column, _old, _new in IDS:
        shared = bind.execute(
            sa.text(
                f'SELECT {column} FROM people WHERE {column} IS NOT NULL '
                f'GROUP BY {column} HAVING COUNT(*) > 1 LIMIT 1'
            )
        ).first()
        if shared is not None:
            raise RuntimeError(
                f'cannot downgrade below 0014: {column} {shared[0]} belongs to people in '
                'several wards; remove them from all wards but one first'
            )
    for column, old, new in IDS:
        op.drop_index(new, table_name='people')
        op.create_index(old, 'people', [column], unique=True)
    op.drop_index(op.f('ix_ward_choices_ward_id'), table_name='ward_choices')
    op.drop_table('ward_choices')
