"""Experiments: each student's arm, kept from the first time the runtime served it (that first serving is the
exposure), and the arm stamped on analytics events by the server.

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-04 21:50:00

- experiment_assignments: one row per student and experiment, written when the runtime first serves the
  student an arm of a running experiment; never updated, so a later weight change never moves the student.
  `revision` is the module revision first served, `stamped_sections` the sections whose events and attempts
  carry the arm (the experiment's sections and its metric's section), `exposed_at` the exposure.
- module_analytics_events.experiment_id / arm: set by the server from experiment_assignments, never by the client.
Student data: it never leaves PostgreSQL except as aggregates.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'experiment_assignments',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('module_id', sa.Text(), nullable=False),
        sa.Column('experiment_id', sa.Text(), nullable=False),
        sa.Column('student_id', sa.Text(), nullable=False),
        sa.Column('arm', sa.Text(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('stamped_sections', postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column('exposed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['module_id'], ['modules.module_id'],
                                name=op.f('fk_experiment_assignments_module_id_modules'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_experiment_assignments')),
        # student before experiment: events and attempts look a student's arms up by module and student
        sa.UniqueConstraint('module_id', 'student_id', 'experiment_id',
                            name=op.f('uq_experiment_assignments_module_id_student_id_experiment_id')),
    )
    op.create_index(op.f('ix_experiment_assignments_experiment_id_arm'), 'experiment_assignments',
                    ['experiment_id', 'arm'], unique=False)
    op.add_column('module_analytics_events', sa.Column('experiment_id', sa.Text(), nullable=True))
    op.add_column('module_analytics_events', sa.Column('arm', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('module_analytics_events', 'arm')
    op.drop_column('module_analytics_events', 'experiment_id')
    op.drop_index(op.f('ix_experiment_assignments_experiment_id_arm'), table_name='experiment_assignments')
    op.drop_table('experiment_assignments')
