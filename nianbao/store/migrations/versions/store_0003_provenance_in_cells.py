"""store 0003: a cell's provenance is kept once, in ``cells.provenance``

Revision ID: store_0003_provenance_in_cells
Revises: store_0002_web_accounts
Create Date: 2026-11-22

Before this revision every version kept each cell's provenance twice: in its record
JSON (``versions.record["provenance"]``) and in its cell rows. The cell rows are kept
(the API's ``cells`` and the source view read them; ``Store.get_report`` puts them back
into the record it returns). Entries that are not cells (meta, sections) stay in the
record. A corrected cell's row said only who corrected it; it now also keeps where the
value was printed, taken from the record before that copy goes. A cell without provenance
held JSON ``null``; it now holds SQL NULL, which reads skip in SQL.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "store_0003_provenance_in_cells"
down_revision: Union[str, Sequence[str], None] = "store_0002_web_accounts"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 500
versions = sa.table("versions", sa.column("id", sa.Integer), sa.column("record", sa.JSON))
cells = sa.table("cells", sa.column("id", sa.Integer), sa.column("version_id", sa.Integer),
                 sa.column("ref", sa.String), sa.column("provenance", sa.JSON))
LOCATION_KEYS = ("span", "bbox", "page")


def _batches(bind):
    last = 0
    while True:
        rows = bind.execute(sa.select(versions.c.id, versions.c.record).where(versions.c.id > last)
                            .order_by(versions.c.id).limit(BATCH)).all()
        if not rows:
            return
        last = rows[-1][0]
        ids = [r[0] for r in rows]
        by_version: dict[int, dict] = {}
        for cid, vid, ref, prov in bind.execute(sa.select(cells.c.id, cells.c.version_id, cells.c.ref,
                                                          cells.c.provenance).where(cells.c.version_id.in_(ids))):
            by_version.setdefault(vid, {})[ref] = (cid, prov)
        yield rows, by_version


def upgrade() -> None:
    bind = op.get_bind()
    bind.execute(cells.update().where(sa.cast(cells.c.provenance, sa.Text) == "null").values(provenance=sa.null()))
    for rows, by_version in _batches(bind):
        record_updates, cell_updates = [], []
        for vid, record in rows:
            prov = record.get("provenance") if isinstance(record, dict) else None
            if not isinstance(prov, dict) or not prov:
                continue
            cell_of = by_version.get(vid, {})
            rest = {}
            for ref, p in prov.items():
                if ref not in cell_of or p is None:
                    rest[ref] = p
                    continue
                cid, cp = cell_of[ref]
                new = cp
                if cp is None:
                    new = p
                elif isinstance(cp, dict) and "corrected_by" in cp and isinstance(p, dict) \
                        and not any(k in cp for k in LOCATION_KEYS):
                    new = {**{k: v for k, v in p.items() if k != "confidence"}, **cp}
                if new != cp:
                    cell_updates.append({"cid": cid, "prov": new})
            record = dict(record)
            record["provenance"] = rest
            record_updates.append({"vid": vid, "rec": record})
        if cell_updates:
            bind.execute(cells.update().where(cells.c.id == sa.bindparam("cid"))
                         .values(provenance=sa.bindparam("prov", type_=sa.JSON)), cell_updates)
        if record_updates:
            bind.execute(versions.update().where(versions.c.id == sa.bindparam("vid"))
                         .values(record=sa.bindparam("rec", type_=sa.JSON)), record_updates)


def downgrade() -> None:
    bind = op.get_bind()
    # SQL NULL stays: the older code read it as no provenance just the same
    for rows, by_version in _batches(bind):
        updates = []
        for vid, record in rows:
            prov = {ref: p for ref, (_, p) in by_version.get(vid, {}).items() if p is not None}
            if not isinstance(record, dict) or not prov:
                continue
            record = dict(record)
            rest = record.get("provenance")
            record["provenance"] = {**prov, **(rest if isinstance(rest, dict) else {})}
            updates.append({"vid": vid, "rec": record})
        if updates:
            bind.execute(versions.update().where(versions.c.id == sa.bindparam("vid"))
                         .values(record=sa.bindparam("rec", type_=sa.JSON)), updates)
