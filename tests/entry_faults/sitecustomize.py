"""Test hook for tests/test_entry_points.py: a defect injected into one stage of extraction
(section finding) for the files whose text holds :data:`MARKER`, in every Python process that
starts with this folder on PYTHONPATH (CLI runs, ingest workers). Never on a real path."""
MARKER = "FAULT-INJECTED-DEFECT"


def install() -> None:
    from nianbao.extract import pipeline

    if getattr(pipeline.find_sections, "faulty", False):
        return
    original = pipeline.find_sections

    def find_sections(text):
        # the failure happens inside the stage's own code, as a defect would
        return original(None if MARKER in text else text)

    find_sections.faulty = True
    pipeline.find_sections = find_sections


try:
    install()
except ImportError:  # a process without nianbao (a converter's Python)
    pass
