"""export retries scheduled instead of slept (failures, next_attempt_at); pull feed sequence in commit order

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 03:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('export', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('job_id', sa.String(length=120), nullable=True))
    counter = op.create_table(
        'export_feed_counter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_export_feed_counter')),
    )
    with op.batch_alter_table('export_feed', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
    # existing entries keep their order: seq = id, and the counter starts after the last one
    op.execute("UPDATE export_feed SET seq = id")
    bind = op.get_bind()
    last = bind.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM export_feed")).scalar()
    op.bulk_insert(counter, [{"id": 1, "value": int(last)}])
    with op.batch_alter_table('export_feed', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_export_feed_seq'), ['seq'])


def downgrade():
    with op.batch_alter_table('export_feed', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_export_feed_seq'), type_='unique')
        batch_op.drop_column('seq')
    op.drop_table('export_feed_counter')
    with op.batch_alter_table('export', schema=None) as batch_op:
        batch_op.drop_column('job_id')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('failures')
