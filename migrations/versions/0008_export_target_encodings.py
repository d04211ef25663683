"""export targets name the encodings they deliver (jpeg, webp, avif); NULL keeps jpeg + webp

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('export_target', schema=None) as batch_op:
        batch_op.add_column(sa.Column('encodings', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('export_target', schema=None) as batch_op:
        batch_op.drop_column('encodings')
