"""key art: textless companion (key_art.textless_id, another key_art row of the same title)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 20:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('key_art', schema=None) as batch_op:
        batch_op.add_column(sa.Column('textless_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_key_art_textless_id_key_art'), 'key_art', ['textless_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('key_art', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_key_art_textless_id_key_art'), type_='foreignkey')
        batch_op.drop_column('textless_id')
