import json
from tests.process.topology import Topology
from tests.process.test_activation import ANNUAL, SETUP, USAGE


def test_explore(topology: Topology):
    for sku in ("PLAT-ANNUAL", "SETUP", "API-CALLS"):
        topology.item(sku)
    deal = topology.win_deal([ANNUAL, SETUP, USAGE])
    done = topology.wait_for(f"activation:{deal}")
    ids = done["external_ids"]
    import time; time.sleep(3)
    out = {"done": done}
    out["opp"] = topology.crm.get(f"/v1/opportunities/{deal}").json()
    out["invoices"] = topology.billing.get("/v1/invoices", params={"subscription": ids["subscription_id"]}).json()
    out["sub"] = topology.billing.get(f"/v1/subscriptions/{ids['subscription_id']}").json()
    out["contract"] = topology.revrec.get(f"/v1/contracts/{ids['revenue_contract_id']}").json()
    out["balances"] = topology.revrec.get(f"/v1/contracts/{ids['revenue_contract_id']}/balances", params={"as_of": "2026-11"}).json()
    out["rf"] = topology.revrec.get(f"/v1/contracts/{ids['revenue_contract_id']}/roll-forward").json()
    out["je"] = topology.revrec.get("/v1/periods/2025-01/journal-entries").json()
    out["ns_inv"] = topology.netsuite.records("invoice")
    out["wfs"] = topology.process.get("/v1/workflows").json()
    out["q"] = topology.erp.post("/v1/queries", json={"q": "SELECT id, type, memo, trandate FROM transaction"}).json()
    json.dump(out, open("/tmp/scratch/explore.json", "w"), indent=1, default=str)
