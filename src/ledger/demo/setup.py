"""Day one: the master data, registered before anything refers to it.

Locations, suppliers, products (with their default reorder policy, that of the main
warehouse), the reorder policy of every product at every location, sales teams and
customers, one second apart at the start of the history.
"""

from __future__ import annotations

from ledger.demo.simulation import Sim


def register_master_data(sim: Sim) -> None:
    company, at = sim.company, sim.timeline.start
    for location_id, name in company.warehouses:
        sim.emit(at, "register-location", {"location_id": location_id, "name": name, "kind": "warehouse"})
    store_id, store_name = company.store
    sim.emit(at, "register-location", {"location_id": store_id, "name": store_name, "kind": "store"})
    for supplier in company.suppliers.values():
        sim.emit(at, "register-supplier", {"supplier_id": supplier.supplier_id, "name": supplier.name})
    for product in company.products.values():
        default = sim.policies[(product.sku, company.main_warehouse)]
        body = {
            "sku": product.sku,
            "name": product.name,
            "uom": product.uom,
            "category": product.category,
            "unit_price": str(product.price),
            "reorder_point": str(default.reorder_point),
            "reorder_qty": str(default.reorder_qty),
            "requires_inspection": product.requires_inspection,
        }
        sim.emit(at, "register-product", body)
    for (sku, location_id), policy in sim.policies.items():
        body = {
            "sku": sku,
            "location_id": location_id,
            "reorder_point": str(policy.reorder_point),
            "reorder_qty": str(policy.reorder_qty),
        }
        sim.emit(at, "set-reorder-policy", body)
    for team in company.teams:
        sim.emit(at, "register-team", {"team_id": team.team_id, "name": team.name, "channel": team.channel})
    for customer in company.customers:
        body = {"customer_id": customer.customer_id, "name": customer.name, "segment": customer.segment}
        sim.emit(at, "register-customer", body)
