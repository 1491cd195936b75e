"""The media manifest: stored originals with their variants, and repository files mapped to them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 21:45:00

- media_objects: one row per stored original (key `sha256/<aa>/<bb>/<hex>.<ext>`): its type, bytes, size as
  shown, variants ([{"key", "width", "content_type"}]), placeholder (a data: URL), poster key (videos) and
  faststart (MP4). Written by deploy in its transaction; `unreferenced_since` is gc's clock.
- media_aliases: `/assets/…` files added by hand in a PR -> the object deploy stored for them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'media_objects',
        sa.Column('key', sa.Text(), nullable=False),
        sa.Column('sha256', sa.Text(), nullable=False),
        sa.Column('content_type', sa.Text(), nullable=False),
        sa.Column('bytes', sa.BigInteger(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=True),
        sa.Column('height', sa.Integer(), nullable=True),
        sa.Column('variants', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"),
                  nullable=False),
        sa.Column('placeholder', sa.Text(), nullable=True),
        sa.Column('poster', sa.Text(), nullable=True),
        sa.Column('faststart', sa.Boolean(), nullable=True),
        sa.Column('stored_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('unreferenced_since', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("key LIKE 'sha256/%'", name=op.f('ck_media_objects_key_content_addressed')),
        sa.CheckConstraint('bytes >= 0', name=op.f('ck_media_objects_bytes_not_negative')),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_media_objects')),
    )
    op.create_table(
        'media_aliases',
        sa.Column('asset_url', sa.Text(), nullable=False),
        sa.Column('media_key', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['media_key'], ['media_objects.key'],
                                name=op.f('fk_media_aliases_media_key_media_objects'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('asset_url', name=op.f('pk_media_aliases')),
    )


def downgrade() -> None:
    op.drop_table('media_aliases')
    op.drop_table('media_objects')
