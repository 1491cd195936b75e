"""The validate stage: is a module file one that deploy will store and preview will render?

`rules` runs the JSON Schema and the rules beyond it over files or documents; `sections` checks one section's
content; `schema_messages` words schema errors for people; `graphs` finds prerequisite cycles; `trust` recognises
bytes this exact validator passed before.
"""

from pipeline.validate.rules import ValidationReport, collect_module_files, validate_documents, validate_paths
from pipeline.validate.trust import Trusted, Validated, validation_key, validator_fingerprint

__all__ = [
    "Trusted",
    "Validated",
    "ValidationReport",
    "collect_module_files",
    "validate_documents",
    "validate_paths",
    "validation_key",
    "validator_fingerprint",
]
