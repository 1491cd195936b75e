"""Module media in object storage: content-addressed originals and variants, their manifest, and gc.

A shared package: it imports no stage. `store` is the one small interface (a local folder or any S3-compatible
service), `keys` names objects and their headers, `ingest` stores originals with their variants.
"""
