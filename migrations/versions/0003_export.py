"""export targets, exports, webhook deliveries, manifests, pull feed

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 23:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'export_target',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=True),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('secret_refs', sa.JSON(), nullable=False),
        sa.Column('regions', sa.JSON(), nullable=True),
        sa.Column('formats', sa.JSON(), nullable=True),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('updated_at', TZ, nullable=False),
        sa.Column('created_at', TZ, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_export_target')),
        sa.UniqueConstraint('name', name=op.f('uq_export_target_name')),
    )
    op.create_table(
        'export',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('variant_id', sa.Integer(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('tries', sa.Integer(), nullable=False),
        sa.Column('sent', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('attempt', sa.String(length=32), nullable=True),
        sa.Column('enqueued_at', TZ, nullable=True),
        sa.Column('started_at', TZ, nullable=True),
        sa.Column('heartbeat_at', TZ, nullable=True),
        sa.Column('finished_at', TZ, nullable=True),
        sa.Column('updated_at', TZ, nullable=False),
        sa.Column('created_at', TZ, nullable=False),
        sa.ForeignKeyConstraint(['target_id'], ['export_target.id'], name=op.f('fk_export_target_id_export_target')),
        sa.ForeignKeyConstraint(['variant_id'], ['variant.id'], name=op.f('fk_export_variant_id_variant'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['request_id'], ['render_request.id'],
                                name=op.f('fk_export_request_id_render_request'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_export')),
        sa.UniqueConstraint('target_id', 'variant_id', 'revision', name=op.f('uq_export_target_id_variant_id_revision')),
    )
    with op.batch_alter_table('export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_target_id'), ['target_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_variant_id'), ['variant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_status'), ['status'], unique=False)
    op.create_table(
        'webhook_delivery',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('export_id', sa.Integer(), nullable=False),
        sa.Column('event_type', sa.String(length=60), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('tries', sa.Integer(), nullable=False),
        sa.Column('response_status', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('delivered_at', TZ, nullable=True),
        sa.Column('created_at', TZ, nullable=False),
        sa.ForeignKeyConstraint(['export_id'], ['export.id'], name=op.f('fk_webhook_delivery_export_id_export'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery')),
        sa.UniqueConstraint('export_id', name=op.f('uq_webhook_delivery_export_id')),
    )
    op.create_table(
        'export_manifest',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=500), nullable=True),
        sa.Column('url', sa.String(length=2000), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=True),
        sa.Column('entries', sa.Integer(), nullable=False),
        sa.Column('published_at', TZ, nullable=True),
        sa.Column('lock_holder', sa.String(length=32), nullable=True),
        sa.Column('lock_expires', TZ, nullable=True),
        sa.ForeignKeyConstraint(['target_id'], ['export_target.id'],
                                name=op.f('fk_export_manifest_target_id_export_target')),
        sa.ForeignKeyConstraint(['request_id'], ['render_request.id'],
                                name=op.f('fk_export_manifest_request_id_render_request'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_export_manifest')),
        sa.UniqueConstraint('target_id', 'request_id', name=op.f('uq_export_manifest_target_id_request_id')),
    )
    with op.batch_alter_table('export_manifest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_manifest_target_id'), ['target_id'], unique=False)
    op.create_table(
        'export_feed',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('variant_id', sa.Integer(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('created_at', TZ, nullable=False),
        sa.ForeignKeyConstraint(['variant_id'], ['variant.id'], name=op.f('fk_export_feed_variant_id_variant'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_export_feed')),
    )
    with op.batch_alter_table('export_feed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_feed_variant_id'), ['variant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('export_feed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_feed_variant_id'))
    op.drop_table('export_feed')
    with op.batch_alter_table('export_manifest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_manifest_target_id'))
    op.drop_table('export_manifest')
    op.drop_table('webhook_delivery')
    with op.batch_alter_table('export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_status'))
        batch_op.drop_index(batch_op.f('ix_export_request_id'))
        batch_op.drop_index(batch_op.f('ix_export_variant_id'))
        batch_op.drop_index(batch_op.f('ix_export_target_id'))
    op.drop_table('export')
    op.drop_table('export_target')
