"""The runtime database: SQLAlchemy 2.0 models of the tables students' apps read and deploy writes.

The migrations in pipeline/db/migrations/versions/ create exactly these tables; a test holds the two equal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pipeline.module.schema import SECTION_TYPES

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
PROGRESS_STATES = ("started", "completed")
_NOW = text("now()")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Module(Base):
    """One module as students see it; `archived_at` set = hidden from students, progress kept."""

    __tablename__ = "modules"
    __table_args__ = (
        CheckConstraint("module_id ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(module_id) <= 64", name="module_id_format"),
        CheckConstraint("revision >= 1", name="revision_positive"),
        CheckConstraint(_in("status", ("ready", "retired")), name="status_known"),
        CheckConstraint("estimated_minutes BETWEEN 1 AND 600", name="estimated_minutes_range"),
        Index(None, "archived_at"),
        Index(None, "university_id", "category"),
    )

    module_id: Mapped[str] = mapped_column(Text, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    estimated_minutes: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[str | None] = mapped_column(Text)
    university_id: Mapped[str] = mapped_column(Text)
    cohort: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)  # the file's status: ready | retired
    prerequisites: Mapped[list[str]] = mapped_column(JSONB)
    tags: Mapped[list[str]] = mapped_column(JSONB)
    target_audience: Mapped[str] = mapped_column(Text)
    notion_page_id: Mapped[str | None] = mapped_column(Text)
    content_source: Mapped[str] = mapped_column(Text)
    authoring_method: Mapped[str | None] = mapped_column(Text)
    learning_objectives: Mapped[list[str]] = mapped_column(JSONB)
    source_commit: Mapped[str | None] = mapped_column(Text)
    deployed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)


class ModuleSection(Base):
    """One section, keyed by its stable `section_id`; `section_number` is its place (unique, checked at commit)."""

    __tablename__ = "module_sections"
    __table_args__ = (
        # Deferred so that reordering sections inside one deploy never trips over itself.
        UniqueConstraint("module_id", "section_number", deferrable=True, initially="DEFERRED"),
        CheckConstraint("section_number >= 1", name="section_number_positive"),
        CheckConstraint(_in("section_type", SECTION_TYPES), name="section_type_known"),
        CheckConstraint("duration_seconds IS NULL OR duration_seconds >= 0", name="duration_not_negative"),
    )

    module_id: Mapped[str] = mapped_column(Text, ForeignKey("modules.module_id", ondelete="CASCADE"), primary_key=True)
    section_id: Mapped[str] = mapped_column(Text, primary_key=True)
    section_number: Mapped[int] = mapped_column(Integer)
    section_type: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    content: Mapped[Any] = mapped_column(JSONB)  # Markdown string, or the interactive / quiz object
    media_url: Mapped[str | None] = mapped_column(Text)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    # sha256 of what a student reads (type, content, media; not the title or place): deploy writes it, and the
    # runtime API flags a completed section whose hash moved since (pipeline.deploy.plan.section_content_hash).
    content_hash: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)


class ModuleRevision(Base):
    """Every deployed content of a module: the document, its hash, the commit it came from."""

    __tablename__ = "module_revisions"
    __table_args__ = (
        UniqueConstraint("module_id", "revision"),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    module_id: Mapped[str] = mapped_column(Text, ForeignKey("modules.module_id", ondelete="RESTRICT"))
    revision: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # md5 of the rows as written (computed by PostgreSQL): a later mismatch means someone edited them by hand.
    row_fingerprint: Mapped[str] = mapped_column(Text)
    source_commit: Mapped[str | None] = mapped_column(Text)
    deployed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)
    # sha256(validator fingerprint + file bytes) of the file deploy validated (pipeline/validate/trust.py), and
    # the /assets/ images its Markdown refers to: a later deploy of the same bytes skips their byte-only checks.
    # A cache annotation, not content: deploy refreshes it on the live revision when only the validator changed.
    validation_key: Mapped[str | None] = mapped_column(Text)
    markdown_images: Mapped[dict[str, list[str]] | None] = mapped_column(JSONB)


class ModuleAssignment(Base):
    """Which student must take which module."""

    __tablename__ = "module_assignments"
    __table_args__ = (UniqueConstraint("module_id", "student_id"), Index(None, "student_id"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    module_id: Mapped[str] = mapped_column(Text, ForeignKey("modules.module_id", ondelete="RESTRICT"))
    student_id: Mapped[str] = mapped_column(Text)
    assigned_by: Mapped[str | None] = mapped_column(Text)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ModuleProgress(Base):
    """A student's progress on one section. `section_id` is the stable id, deliberately not a foreign key:
    a section removed from a module must not take students' history with it."""

    __tablename__ = "module_progress"
    __table_args__ = (
        UniqueConstraint("student_id", "module_id", "section_id"),
        Index(None, "module_id", "section_id"),
        CheckConstraint(_in("state", PROGRESS_STATES), name="state_known"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    student_id: Mapped[str] = mapped_column(Text)
    module_id: Mapped[str] = mapped_column(Text, ForeignKey("modules.module_id", ondelete="RESTRICT"))
    section_id: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text, server_default=text("'started'"))  # only ever rises to completed
    score: Mapped[int | None] = mapped_column(Integer)  # the best score reported
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # the first completion
    # The section's content hash and the module's revision when the student last completed it: a later deploy
    # that changes the content makes the runtime API flag the section `changed_since_completion`.
    completed_section_hash: Mapped[str | None] = mapped_column(Text)
    completed_revision: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)


class ModuleAnalyticsEvent(Base):
    """What students did (append-only: a trigger refuses UPDATE and DELETE); read by module and time range.

    `event_uuid` is the client's id of the event: stored at most once, so a retried batch is harmless."""

    __tablename__ = "module_analytics_events"
    __table_args__ = (
        Index(None, "module_id", "occurred_at"),
        Index(None, "student_id", "occurred_at"),
        UniqueConstraint("event_uuid"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    module_id: Mapped[str] = mapped_column(Text, ForeignKey("modules.module_id", ondelete="RESTRICT"))
    section_id: Mapped[str | None] = mapped_column(Text)
    student_id: Mapped[str | None] = mapped_column(Text)
    event_type: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)  # client's clock
    event_uuid: Mapped[str | None] = mapped_column(UUID(as_uuid=False))  # NULL only for rows older than 0003
    revision: Mapped[int | None] = mapped_column(Integer)  # the module revision the student saw
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)
    experiment_id: Mapped[str | None] = mapped_column(Text)  # stamped by the server (experiment_assignments)
    arm: Mapped[str | None] = mapped_column(Text)


class ModuleAttempt(Base):
    """One graded attempt at a quiz or interactive section: the server's grade against the revision it served.

    `client_attempt_id` is the client's UUID (a retried POST stores nothing new); `questions` is the per-question
    grading, `answers` what was sent; `experiment_id`/`arm` are stamped by the server, never taken from the client."""

    __tablename__ = "module_attempts"
    __table_args__ = (
        UniqueConstraint("client_attempt_id"),
        UniqueConstraint("student_id", "module_id", "section_id", "attempt_number"),
        Index(None, "module_id", "section_id"),
        CheckConstraint("attempt_number >= 1", name="attempt_number_positive"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
        CheckConstraint("duration_ms IS NULL OR duration_ms >= 0", name="duration_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    client_attempt_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    student_id: Mapped[str] = mapped_column(Text)
    module_id: Mapped[str] = mapped_column(Text, ForeignKey("modules.module_id", ondelete="RESTRICT"))
    section_id: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)  # the module revision the attempt was graded against
    attempt_number: Mapped[int] = mapped_column(Integer)  # from 1, per student and section
    score: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    experiment_id: Mapped[str | None] = mapped_column(Text)
    arm: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)


class ExperimentAssignment(Base):
    """A student's arm of one experiment, written when the runtime first served it (the exposure), never updated."""

    __tablename__ = "experiment_assignments"
    __table_args__ = (
        UniqueConstraint("module_id", "student_id", "experiment_id"),  # looked up by module and student
        Index(None, "experiment_id", "arm"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    module_id: Mapped[str] = mapped_column(Text, ForeignKey("modules.module_id", ondelete="RESTRICT"))
    experiment_id: Mapped[str] = mapped_column(Text)
    student_id: Mapped[str] = mapped_column(Text)
    arm: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)  # the module revision first served
    stamped_sections: Mapped[list[str]] = mapped_column(ARRAY(Text))  # whose events and attempts carry the arm
    exposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)


class NotionWriteback(Base):
    """Outbox: one row per deployed revision, for the writeback stage to tell Notion the module is live."""

    __tablename__ = "notion_writeback"
    __table_args__ = (
        CheckConstraint(_in("state", ("pending", "done")), name="state_known"),
        Index(None, "state"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    module_id: Mapped[str] = mapped_column(Text, ForeignKey("modules.module_id", ondelete="RESTRICT"))
    revision: Mapped[int] = mapped_column(Integer)
    notion_page_id: Mapped[str | None] = mapped_column(Text)
    source_commit: Mapped[str | None] = mapped_column(Text)
    deployed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(Text, server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
