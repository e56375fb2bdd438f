"""Where ../shared is: beside the repository (CI's clone), or beside one of
its parent directories (a developer's worktree under a subfolder)."""
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
SHARED = next((p / "shared" for p in _REPO.parents if (p / "shared" / "samples").is_dir()), _REPO.parent / "shared")
