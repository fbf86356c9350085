"""The demo company's reference tables: what it sells, who supplies it, how things go wrong.

A tools and hardware distributor with warehouses, one city store, a web shop and two field
sales teams. These tables are fixed; ``company.build_company`` draws from them with the
seed, so two seeds give two different (but equally plausible) companies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Item:
    name: str
    uom: str
    price: str


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    inspected: bool  # regulated goods: every receipt waits in quarantine for incoming inspection
    in_store: bool  # the city store carries it
    suppliers: tuple[tuple[str, int], ...]  # (supplier_id, share of purchases in percent)
    defects: tuple[str, ...]  # defect categories, most frequent first
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class SupplierSpec:
    supplier_id: str
    name: str
    defect_rate: float  # share of defective units in a normal incoming sample
    lead_days: tuple[int, int]  # business days from purchase to the date a PO expects it
    late_share: float  # share of purchase orders that arrive after their expected date
    partial_share: float  # share of PO lines delivered short, the balance following later (or never)


SUPPLIERS: Final = (
    SupplierSpec("SUP-NORDIC", "Nordic Tool Works AB", 0.008, (3, 6), 0.08, 0.06),
    SupplierSpec("SUP-KEYSTONE", "Keystone Fasteners Ltd", 0.010, (2, 4), 0.06, 0.05),
    SupplierSpec("SUP-VOLTA", "Volta Electric Supply GmbH", 0.012, (2, 5), 0.09, 0.07),
    SupplierSpec("SUP-EASTBAY", "Eastbay Trading Co.", 0.028, (4, 7), 0.3, 0.16),
)
UNRELIABLE_SUPPLIER: Final = "SUP-EASTBAY"  # goes through a bad spell in every history

CATEGORIES: Final = (
    Category(
        "power-tools",
        inspected=False,
        in_store=False,
        suppliers=(("SUP-NORDIC", 100),),
        defects=("motor-noise", "scratch", "missing-part", "battery-fault", "packaging"),
        items=(
            Item("Cordless drill 18V", "ea", "149.00"),
            Item("Impact driver 18V", "ea", "129.00"),
            Item("Angle grinder 125 mm", "ea", "89.00"),
            Item("Circular saw 190 mm", "ea", "169.00"),
            Item("Jigsaw 650 W", "ea", "99.00"),
            Item("Random orbit sander 125 mm", "ea", "79.00"),
            Item("Rotary hammer SDS-plus", "ea", "219.00"),
        ),
    ),
    Category(
        "hand-tools",
        inspected=False,
        in_store=True,
        suppliers=(("SUP-NORDIC", 80), ("SUP-EASTBAY", 20)),
        defects=("finish", "misalignment", "missing-part", "packaging"),
        items=(
            Item("Claw hammer 450 g", "ea", "19.90"),
            Item("Screwdriver set 12 pcs", "ea", "24.50"),
            Item("Adjustable wrench 250 mm", "ea", "17.80"),
            Item("Tape measure 8 m", "ea", "12.90"),
            Item("Utility knife", "ea", "8.50"),
            Item("Spirit level 600 mm", "ea", "22.00"),
            Item("Combination pliers 180 mm", "ea", "14.90"),
        ),
    ),
    Category(
        "fasteners",
        inspected=False,
        in_store=True,
        suppliers=(("SUP-KEYSTONE", 100),),
        defects=("thread-damage", "corrosion", "dimension", "mixed-parts"),
        items=(
            Item("Wood screws 4x40, box of 200", "box", "9.80"),
            Item("Drywall screws 3.5x35, box of 500", "box", "14.50"),
            Item("Wall plugs 6 mm, box of 100", "box", "5.90"),
            Item("Hex bolts M8x60, box of 50", "box", "11.20"),
            Item("Washers M8, box of 200", "box", "4.80"),
            Item("Anchor bolts M10, box of 25", "box", "18.90"),
            Item("Wire nails 70 mm, 1 kg", "kg", "6.40"),
        ),
    ),
    Category(
        "electrical",
        inspected=True,
        in_store=True,
        suppliers=(("SUP-VOLTA", 75), ("SUP-EASTBAY", 25)),
        defects=("insulation", "wrong-rating", "loose-terminal", "label-missing", "packaging"),
        items=(
            Item("Extension cord 10 m", "ea", "24.90"),
            Item("LED bulb E27 9 W, 10-pack", "box", "19.90"),
            Item("Double wall socket", "ea", "8.90"),
            Item("RCD 40 A 30 mA", "ea", "39.00"),
            Item("LED work light 30 W", "ea", "34.90"),
            Item("Power strip 6-way", "ea", "16.50"),
            Item("Installation cable 3x1.5, 50 m", "roll", "64.00"),
        ),
    ),
    Category(
        "safety",
        inspected=True,
        in_store=True,
        suppliers=(("SUP-EASTBAY", 60), ("SUP-VOLTA", 40)),
        defects=("stitching", "label-missing", "size-mismatch", "lens-scratch", "packaging"),
        items=(
            Item("Safety glasses, clear", "ea", "6.90"),
            Item("Work gloves, nitrile", "pair", "7.50"),
            Item("Ear defenders SNR 30", "ea", "18.90"),
            Item("Hard hat, vented", "ea", "14.90"),
            Item("Hi-vis vest", "ea", "8.90"),
            Item("FFP2 masks, box of 20", "box", "21.00"),
            Item("Safety boots S3", "pair", "79.00"),
        ),
    ),
)

PLACE_NAMES: Final = (
    "Harbor", "Birchwood", "Summit", "Riverside", "Oakridge", "Granite", "Lakeside", "Northgate",
    "Pinecrest", "Redstone", "Silverline", "Westfield", "Brightwater", "Copperfield", "Elmstead",
    "Foxhill", "Hillcrest", "Ironbridge", "Kingsway", "Meadowbank", "Stonebridge", "Millbrook",
    "Ashford", "Clearwater", "Greenvale", "Highmoor",
)  # fmt: skip
FIRST_NAMES: Final = (
    "Anna", "Jonas", "Maria", "Lukas", "Sofia", "Emil", "Clara", "Noah", "Ella", "Oskar", "Ida",
    "Felix", "Lena", "Hugo", "Mila", "Adam", "Freya", "Theo",
)  # fmt: skip
LAST_NAMES: Final = (
    "Berg", "Lindqvist", "Novak", "Fischer", "Jensen", "Moreau", "Keller", "Horvat", "Larsen",
    "Weber", "Nilsson", "Brandt", "Costa", "Meyer", "Holm", "Vogel",
)  # fmt: skip

# segment: (how many customers, name suffixes, discount range in percent)
SEGMENTS: Final = {
    "retail": (12, (), (0, 0)),
    "contractor": (12, ("Construction", "Builders", "Renovations", "Roofing", "Electric"), (3, 6)),
    "wholesale": (7, ("Hardware", "Building Supplies", "Trade Centre"), (12, 18)),
    "facility": (5, ("Facility Services", "Property Management"), (6, 10)),
    "public": (3, ("School District", "Municipal Works"), (8, 12)),
}
# Which segments buy through which channel, with weights.
CHANNEL_SEGMENTS: Final = {
    "online": (("retail", 55), ("contractor", 35), ("facility", 10)),
    "store": (("walk-in", 60), ("retail", 25), ("contractor", 15)),
    "distributor": (("wholesale", 60), ("facility", 22), ("public", 18)),
}

CANCEL_REASONS: Final = (
    "Customer changed their mind",
    "Duplicate order",
    "Payment not received",
    "Delivery date too late for the customer",
    "Customer found the item elsewhere",
)
BACKORDER_CANCEL_REASON: Final = "Customer cancelled the back-ordered remainder"

# Count outcomes as (adjust-stock reason_code, reason text).
COUNT_REASON: Final = ("cycle_count", "Weekly cycle count")
FOUND_REASON: Final = ("found", "Weekly cycle count: misplaced stock found")
SHRINK_REASONS: Final = (
    ("damage", "Weekly cycle count: damaged packaging written off"),
    ("correction", "Weekly cycle count: picking error corrected"),
    ("shrinkage", "Weekly cycle count: shrinkage"),
)
