"""flag threads: flag_comment (replies on a flag; the flag's status 'resolved' closes it)

Revision ID: 0007
Revises: 0005 (if a 0006 lands first, point down_revision at it: the tables do not overlap)
Create Date: 2026-11-30 21:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('flag_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flag_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['flag_id'], ['review_flag.id'], name=op.f('fk_flag_comment_flag_id_review_flag'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flag_comment'))
    )
    with op.batch_alter_table('flag_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flag_comment_flag_id'), ['flag_id'], unique=False)


def downgrade():
    with op.batch_alter_table('flag_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flag_comment_flag_id'))
    op.drop_table('flag_comment')
