"""Graded attempts at quiz and interactive sections: the server's grade, kept per attempt.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 21:20:00

- module_attempts: one row per graded attempt. `client_attempt_id` is the client's UUID (unique: a retried POST
  stores nothing new); `revision` is the module revision the attempt was graded against; `attempt_number` counts
  a student's attempts at one section from 1. `questions` holds the per-question grading
  ([{"question_id", "choice", "correct"}] for a quiz, [{"hotspot_id", "correct"}] for an interactive section),
  `answers` what the student sent. `experiment_id` and `arm` are stamped by the server when the section was served
  from an experiment's arm. Student data: it never leaves PostgreSQL except as aggregates.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'module_attempts',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('client_attempt_id', postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column('student_id', sa.Text(), nullable=False),
        sa.Column('module_id', sa.Text(), nullable=False),
        sa.Column('section_id', sa.Text(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('attempt_number', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('passed', sa.Boolean(), nullable=False),
        sa.Column('questions', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('answers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('duration_ms', sa.Integer(), nullable=True),
        sa.Column('experiment_id', sa.Text(), nullable=True),
        sa.Column('arm', sa.Text(), nullable=True),
        sa.Column('submitted_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('attempt_number >= 1', name=op.f('ck_module_attempts_attempt_number_positive')),
        sa.CheckConstraint('score BETWEEN 0 AND 100', name=op.f('ck_module_attempts_score_range')),
        sa.CheckConstraint('duration_ms IS NULL OR duration_ms >= 0', name=op.f('ck_module_attempts_duration_not_negative')),
        sa.ForeignKeyConstraint(['module_id'], ['modules.module_id'],
                                name=op.f('fk_module_attempts_module_id_modules'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_module_attempts')),
        sa.UniqueConstraint('client_attempt_id', name=op.f('uq_module_attempts_client_attempt_id')),
        sa.UniqueConstraint('student_id', 'module_id', 'section_id', 'attempt_number',
                            name=op.f('uq_module_attempts_student_id_module_id_section_id_attempt_number')),
    )
    op.create_index(op.f('ix_module_attempts_module_id_section_id'), 'module_attempts',
                    ['module_id', 'section_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_module_attempts_module_id_section_id'), table_name='module_attempts')
    op.drop_table('module_attempts')
