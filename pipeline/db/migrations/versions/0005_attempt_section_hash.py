"""Attempts remember which version of their section they were graded against.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 21:50:00

- module_attempts.section_hash: the section's content hash (module_sections.content_hash) when it was graded.
  A quiz's `max_attempts` counts the attempts at the section as it is now, so a deploy that changes the quiz gives
  a fresh set (the earlier completion is flagged `changed_since_completion` meanwhile). NULL for rows older than
  this migration; they count for no version.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('module_attempts', sa.Column('section_hash', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('module_attempts', 'section_hash')
