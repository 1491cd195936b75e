"""Revisions remember the validation key of the file deployed (incremental validation on deploy).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 16:10:00

Nullable: revisions deployed before this migration have no key, so their files are validated in full once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('module_revisions', sa.Column('validation_key', sa.Text(), nullable=True))
    op.add_column('module_revisions', sa.Column('markdown_images', postgresql.JSONB(astext_type=sa.Text()),
                                                nullable=True))


def downgrade() -> None:
    op.drop_column('module_revisions', 'markdown_images')
    op.drop_column('module_revisions', 'validation_key')
