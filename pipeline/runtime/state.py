"""What every request of one worker shares (the engine, the token verifier, the module cache), and how a route
finds it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import Engine

from pipeline.runtime.auth import TokenVerifier
from pipeline.runtime.content import ModuleCache


@dataclass(frozen=True)
class RuntimeState:
    """What every request of one worker shares."""

    engine: Engine
    verifier: TokenVerifier
    cache: ModuleCache
    head_migration: str


def runtime_state() -> RuntimeState:
    state: RuntimeState = current_app.extensions["frames_runtime"]
    return state


def runtime_state_of(app: Flask) -> RuntimeState:
    state: RuntimeState = app.extensions["frames_runtime"]
    return state
