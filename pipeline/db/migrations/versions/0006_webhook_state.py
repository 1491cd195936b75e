"""The webhook receiver's shared state: delivery ids handled, and each page's coalescing window.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 21:40:00

So that N receiver processes on M machines behave as one:
- webhook_deliveries: one row per Notion event id handled (`INSERT … ON CONFLICT DO NOTHING` reserves it, so a
  redelivery reaching another process is a duplicate there too). Rows older than Notion's retry window are pruned.
- webhook_windows: one row per page whose dispatch window is open or was recently: `closes_at`, and the newest
  event that arrived inside the window (`pending_event`, sent as the trailing dispatch when the window closes, by
  whichever process claims it first). No student data.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'webhook_deliveries',
        sa.Column('event_id', sa.Text(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_webhook_deliveries')),
    )
    op.create_index(op.f('ix_webhook_deliveries_received_at'), 'webhook_deliveries', ['received_at'], unique=False)
    op.create_table(
        'webhook_windows',
        sa.Column('page_id', sa.Text(), nullable=False),
        sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('pending_event', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.PrimaryKeyConstraint('page_id', name=op.f('pk_webhook_windows')),
    )
    op.create_index(op.f('ix_webhook_windows_closes_at'), 'webhook_windows', ['closes_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_webhook_windows_closes_at'), table_name='webhook_windows')
    op.drop_table('webhook_windows')
    op.drop_index(op.f('ix_webhook_deliveries_received_at'), table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
