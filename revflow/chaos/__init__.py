"""Chaos for a whole revflow deployment: vendor faults, duplicated and reordered closes, processes killed.

Everything acts from the outside, the way the world treats a deployment: deals entered and won through the
Salesforce sandbox's REST API, seeded faults set through the sandboxes' admin routes, announcements made again
(Salesforce redeliveries, the CRM's pull, a second producer on the event stream, starts by hand), workers and
services SIGKILLed and restarted; then a census of what each vendor holds and the process API's reconciliation.
It must never reach into a service's internals: what it does, an operator or a vendor could do.

``run_chaos`` is what ``revflow chaos`` runs; the pieces (deals, faults, announcements, processes, census)
serve the process tier's exactly-once test as well.
"""

from revflow.chaos._announce import CLOSED_WON, pull_closed_won, republish, republish_closed_won
from revflow.chaos._census import SandboxCensus, census_of, take_census
from revflow.chaos._deals import KNOWN_SKUS, UNKNOWN_SKU, Deal, enter_deals, win_deals
from revflow.chaos._faults import FAULTS, clear_faults, faults_injected, inject_faults, seeded_faults
from revflow.chaos._figures import ChaosFigures, render
from revflow.chaos._processes import ProcessGroup, WorkerFleet
from revflow.chaos._profile import PROFILES, ChaosProfile, kill_plan
from revflow.chaos._run import run_chaos

__all__ = ["CLOSED_WON", "FAULTS", "KNOWN_SKUS", "PROFILES", "UNKNOWN_SKU", "ChaosFigures", "ChaosProfile", "Deal",
           "ProcessGroup", "SandboxCensus", "WorkerFleet", "census_of", "clear_faults", "enter_deals",
           "faults_injected", "inject_faults", "kill_plan", "pull_closed_won", "render", "republish",
           "republish_closed_won", "run_chaos", "seeded_faults", "take_census", "win_deals"]
