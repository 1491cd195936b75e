"""Where the repository and its sample modules are, and a repository-shaped copy of them for tests."""

import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# The demo modules live outside data/ so that a real repository starts with an empty data/modules/.
EXAMPLES = REPO_ROOT / "examples"
SAMPLE_MODULES = EXAMPLES / "modules"
SAMPLE_ASSETS = EXAMPLES / "assets"
SCHEMAS = REPO_ROOT / "data" / "schemas"


def copy_sample_data(root: Path, module_ids: tuple[str, ...] | None = None) -> Path:
    """Lay out `root`/data/ as a repository holding the samples (modules, their assets, the schema); returns it.

    `module_ids` limits the copy to those samples; by default all of them.
    """
    data = root / "data"
    (data / "modules").mkdir(parents=True, exist_ok=True)
    (data / "assets").mkdir(parents=True, exist_ok=True)
    shutil.copytree(SCHEMAS, data / "schemas", dirs_exist_ok=True)
    ids = module_ids if module_ids is not None else tuple(sorted(p.stem for p in SAMPLE_MODULES.glob("*.json")))
    for module_id in ids:
        shutil.copy(SAMPLE_MODULES / f"{module_id}.json", data / "modules")
        if (SAMPLE_ASSETS / module_id).is_dir():
            shutil.copytree(SAMPLE_ASSETS / module_id, data / "assets" / module_id, dirs_exist_ok=True)
    return data
