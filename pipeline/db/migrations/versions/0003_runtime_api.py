"""What the student runtime API needs: section content hashes, progress through revisions, events once per id.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 19:55:00

- module_sections.content_hash: sha256 of what a student reads in the section (type, content, media). Existing
  rows are filled here from their columns, the same way deploy computes it from a file.
- module_progress: state is 'started' | 'completed' ('in_progress' rows become 'started'); the section hash and
  the module revision at completion, to flag a section whose content changed after the student completed it.
- module_analytics_events: the client's event UUID (unique: a retried batch is stored once), the revision the
  student saw and when the server received it. The table stays append-only (the trigger of 0001 is untouched).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _section_content_hash(section_type: str, content: Any, media_url: str | None) -> str:
    # Frozen copy of pipeline.deploy.plan.section_content_hash as of this migration: a migration must keep meaning
    # what it meant when it ran, whatever the code does later.
    text = json.dumps([section_type, content, media_url], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upgrade() -> None:
    op.add_column('module_sections', sa.Column('content_hash', sa.Text(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT module_id, section_id, section_type, content, media_url FROM module_sections"
    )).all()
    if rows:
        bind.execute(
            sa.text(
                "UPDATE module_sections s SET content_hash = v.hash FROM unnest("
                "CAST(:modules AS text[]), CAST(:sections AS text[]), CAST(:hashes AS text[])) AS v(m, s, hash) "
                "WHERE s.module_id = v.m AND s.section_id = v.s"
            ),
            {
                "modules": [r.module_id for r in rows],
                "sections": [r.section_id for r in rows],
                "hashes": [_section_content_hash(r.section_type, r.content, r.media_url) for r in rows],
            },
        )
    op.alter_column('module_sections', 'content_hash', nullable=False)

    op.drop_constraint(op.f('ck_module_progress_state_known'), 'module_progress', type_='check')
    op.execute("UPDATE module_progress SET state = 'started' WHERE state = 'in_progress'")
    op.create_check_constraint(
        op.f('ck_module_progress_state_known'), 'module_progress', "state IN ('started', 'completed')"
    )
    op.alter_column('module_progress', 'state', server_default=sa.text("'started'"))
    op.add_column('module_progress', sa.Column('completed_section_hash', sa.Text(), nullable=True))
    op.add_column('module_progress', sa.Column('completed_revision', sa.Integer(), nullable=True))

    op.add_column('module_analytics_events', sa.Column('event_uuid', postgresql.UUID(as_uuid=False), nullable=True))
    op.add_column('module_analytics_events', sa.Column('revision', sa.Integer(), nullable=True))
    op.add_column('module_analytics_events', sa.Column('received_at', sa.DateTime(timezone=True),
                                                       server_default=sa.text('now()'), nullable=False))
    op.create_unique_constraint(op.f('uq_module_analytics_events_event_uuid'), 'module_analytics_events',
                                ['event_uuid'])


def downgrade() -> None:
    op.drop_constraint(op.f('uq_module_analytics_events_event_uuid'), 'module_analytics_events', type_='unique')
    op.drop_column('module_analytics_events', 'received_at')
    op.drop_column('module_analytics_events', 'revision')
    op.drop_column('module_analytics_events', 'event_uuid')
    op.drop_column('module_progress', 'completed_revision')
    op.drop_column('module_progress', 'completed_section_hash')
    op.drop_constraint(op.f('ck_module_progress_state_known'), 'module_progress', type_='check')
    op.execute("UPDATE module_progress SET state = 'in_progress' WHERE state = 'started'")
    op.create_check_constraint(
        op.f('ck_module_progress_state_known'), 'module_progress', "state IN ('in_progress', 'completed')"
    )
    op.alter_column('module_progress', 'state', server_default=sa.text("'in_progress'"))
    op.drop_column('module_sections', 'content_hash')
