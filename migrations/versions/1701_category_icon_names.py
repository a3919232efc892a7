"""Category icons become names of the vendored icon set instead of emoji

Revision ID: 1701
Revises: 2010
Create Date: 2026-12-06 07:50:00

``categories.icon`` held an emoji ("💡"); phones drew it differently and some browsers not at all.
It now holds the name of an icon of the set in ``app/icons`` ("bulb"). Known emoji become their
icon's name (with or without the emoji variation selector); anything else becomes "" (the pages
draw a neutral pin for it) so that no category is left with a value the town file refuses.
Downgrade turns the names of this mapping back into emoji and leaves others empty.
"""
import sqlalchemy as sa
from alembic import op

revision = "1701"
down_revision = "2010"
branch_labels = None
depends_on = None

# Copied here, not imported: a migration does not import app code.
ICON_NAMES = (
    "road", "road-sign", "traffic-lights", "traffic-cone", "barrier-block", "alert-triangle", "parking", "bus-stop",
    "car", "car-crash", "bike", "walk", "wheelchair", "stairs", "bulb", "droplet", "ripple", "fountain", "trash",
    "recycle", "bottle", "spray", "brush", "dog", "poo", "tree", "trees", "leaf", "plant", "horse-toy",
    "ball-football", "skateboarding", "armchair", "building", "wall", "fence", "toilet-paper", "snowflake", "wind",
    "flame", "volume", "tool", "help-circle",
)
# Emoji (without U+FE0F) -> icon name; the first emoji of a name is the one a downgrade writes.
EMOJI = {
    "🕳": "road", "🛣": "road", "⚠": "alert-triangle", "🚧": "traffic-cone", "🚦": "traffic-lights", "🚥": "traffic-lights",
    "🅿": "parking", "🚏": "bus-stop", "🚗": "car", "🚘": "car", "🚲": "bike", "🚴": "bike", "🚶": "walk",
    "♿": "wheelchair", "💡": "bulb", "🌊": "droplet", "💧": "droplet", "⛲": "fountain", "🗑": "trash",
    "♻": "recycle", "🍾": "bottle", "🎨": "spray", "🧹": "brush", "🐕": "dog", "🐶": "dog", "💩": "poo",
    "🌳": "tree", "🌲": "tree", "🍂": "leaf", "🌿": "plant", "🌷": "plant", "🛝": "horse-toy", "⚽": "ball-football",
    "🛹": "skateboarding", "🪑": "armchair", "🏢": "building", "🏠": "building", "🧱": "wall", "🚻": "toilet-paper",
    "🚽": "toilet-paper", "❄": "snowflake", "🌬": "wind", "🔥": "flame", "🔊": "volume", "🔧": "tool", "🛠": "tool",
    "❓": "help-circle", "❔": "help-circle",
}


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, icon FROM categories")).all()
    for category_id, icon in rows:
        value = (icon or "").replace("\ufe0f", "").strip()
        name = value if value in ICON_NAMES else EMOJI.get(value, "")
        if name != icon:
            bind.execute(sa.text("UPDATE categories SET icon = :icon WHERE id = :id"), {"icon": name, "id": category_id})


def downgrade() -> None:
    back: dict[str, str] = {}
    for emoji, name in EMOJI.items():
        back.setdefault(name, emoji)
    bind = op.get_bind()
    for category_id, icon in bind.execute(sa.text("SELECT id, icon FROM categories")).all():
        bind.execute(sa.text("UPDATE categories SET icon = :icon WHERE id = :id"),
                     {"icon": back.get(icon or "", ""), "id": category_id})
